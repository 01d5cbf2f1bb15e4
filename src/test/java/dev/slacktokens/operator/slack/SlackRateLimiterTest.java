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
        assertThat(limiter.tryAcquire()).contains(Duration.ofSeconds(52));
        assertThat(limiter.tryAcquire()).as("a refused call takes nothing").contains(Duration.ofSeconds(52));
        clock.advance(Duration.ofSeconds(52));
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
        clock.advance(Duration.ofSeconds(62));
        assertThat(limiter.tryAcquire()).isEmpty();
    }

    /**
     * Defect (bench/run.sh limit 1000, docs/benchmarks.md): a permit freed exactly 60 s after it was taken, but the
     * call reaches Slack a little later (the journal is written first), so at the window's edge the 601st call could
     * land inside Slack's own minute of the 1st: 50 HTTP 429s for 1,000 refreshes. A permit now frees a margin later.
     */
    @Test
    void aPermitFreesAMarginAfterTheMinuteSoThatLateArrivalsStayInsideSlacksOwnMinute() {
        TestClock clock = TestClock.fixedAt(Instant.parse("2026-01-01T00:00:00Z"));
        SlackRateLimiter limiter = new SlackRateLimiter(1, clock);
        assertThat(limiter.tryAcquire()).isEmpty();
        clock.advance(Duration.ofSeconds(60));
        assertThat(limiter.tryAcquire()).as("the call may have reached Slack a moment after its permit")
                .contains(SlackRateLimiter.MARGIN);
        clock.advance(SlackRateLimiter.MARGIN);
        assertThat(limiter.tryAcquire()).isEmpty();
    }
}
