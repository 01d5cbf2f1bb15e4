package dev.slacktokens.operator.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

class OperatorMetricsTest {

    @Test
    void aRefreshOnScheduleIsTimedAgainstItsRefreshAtAndOneAfterExpiryIsCounted() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        OperatorMetrics metrics = new OperatorMetrics(registry);
        metrics.refreshTiming(Duration.ofMillis(1500), Duration.ofHours(2));
        metrics.refreshTiming(Duration.ofMinutes(130), Duration.ofMinutes(-10));
        metrics.refreshTiming(Duration.ofSeconds(-1), Duration.ofHours(2));
        var lateness = registry.get("slack.token.refresh.lateness").timer();
        assertThat(lateness.count()).isEqualTo(3);
        assertThat(lateness.totalTime(TimeUnit.MILLISECONDS)).as("early counts as on time")
                .isEqualTo(1500 + 130 * 60_000);
        assertThat(registry.get("slack.token.refreshes.after.expiry").counter().count()).isEqualTo(1);
    }
}
