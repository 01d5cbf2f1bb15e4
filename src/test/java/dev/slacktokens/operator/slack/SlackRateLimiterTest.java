package dev.slacktokens.operator.slack;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;

import org.junit.jupiter.api.Test;

import dev.slacktokens.operator.testing.TestClock;

class SlackRateLimiterTest {

    @Test
    void allowsPerMinuteCallsInAnySlidingMinuteThenSaysHowLongToWait() {
        TestClock clock = TestClock.fixedAt(Instant.parse("2026-01-01T00:00:00Z"));
        SlackRateLimiter limiter = new SlackRateLimiter(3, clock);
        assertThat(limiter.tryAcquire()).isEmpty();
        clock.advance(Duration.ofSeconds(10));
        assertThat(limiter.tryAcquire()).isEmpty();
        assertThat(limiter.tryAcquire()).isEmpty();
        assertThat(limiter.tryAcquire()).contains(Duration.ofSeconds(50));
        assertThat(limiter.tryAcquire()).as("a refused call takes nothing").contains(Duration.ofSeconds(50));
        clock.advance(Duration.ofSeconds(50));
        assertThat(limiter.tryAcquire()).isEmpty();
        assertThat(limiter.tryAcquire()).contains(Duration.ofSeconds(10));
    }

    @Test
    void aThousandConnectionsRefreshingAtOnceStayUnderSlacksLimit() {
        TestClock clock = TestClock.fixedAt(Instant.parse("2026-01-01T00:00:00Z"));
        SlackRateLimiter limiter = new SlackRateLimiter(600, clock);
        int sent = 0;
        for (int i = 0; i < 1000; i++) {
            if (limiter.tryAcquire().isEmpty()) {
                sent++;
            }
        }
        assertThat(sent).isEqualTo(600);
        clock.advance(Duration.ofSeconds(60));
        assertThat(limiter.tryAcquire()).isEmpty();
    }
}
