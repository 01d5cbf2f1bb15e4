package dev.slacktokens.operator.reconciler;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The timing policy, table-driven with a fixed clock. */
class RefreshPolicyTest {

    static final Instant ISSUED = Instant.parse("2026-01-01T00:00:00Z");
    static final Instant EXPIRES = ISSUED.plus(Duration.ofHours(12));
    static final String UID = "0b0b0b0b-uid";
    /**
     * The jitter of {@link #UID}, pinned (CRC32 of the uid is 3998 mod 10,000: 3.998 % of the 5 % bound): a test that
     * computed it with {@code RefreshPolicy.jitter} compared the policy with itself.
     */
    static final Duration JITTER_2H = Duration.ofMillis(143_928);

    static Stream<Arguments> refreshAt() {
        Instant due = EXPIRES.minus(Duration.ofHours(2)).minus(JITTER_2H);
        Duration jitter15s = Duration.ofMillis(299);
        Duration jitter6h = Duration.ofMillis(431_784);
        return Stream.of(
                Arguments.of("a 12 h token is refreshed 2 h (+jitter) before expiry", EXPIRES, Duration.ofHours(2),
                        due),
                Arguments.of("30 s lifetime clamps a 2 h margin to 15 s", ISSUED.plusSeconds(30), Duration.ofHours(2),
                        ISSUED.plusSeconds(15).minus(jitter15s)),
                Arguments.of("11 h margin on a 12 h token clamps to 6 h", EXPIRES, Duration.ofHours(11),
                        ISSUED.plus(Duration.ofHours(6)).minus(jitter6h)),
                Arguments.of("a lifetime of zero gives no margin", ISSUED, Duration.ofHours(2), ISSUED));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refreshAt")
    void refreshAt(String name, Instant expires, Duration refreshBefore, Instant expected) {
        assertThat(RefreshPolicy.refreshAt(UID, ISSUED, expires, refreshBefore)).isEqualTo(expected);
    }

    static Stream<Arguments> retryDelay() {
        return Stream.of(
                Arguments.of("after a 3rd failure: 8 s backoff", 3, null, Duration.ofSeconds(8)),
                Arguments.of("Retry-After longer than the backoff wins", 1, Duration.ofSeconds(30),
                        Duration.ofSeconds(30)),
                Arguments.of("Retry-After shorter than the backoff does not shorten it", 4, Duration.ofSeconds(1),
                        Duration.ofSeconds(16)),
                Arguments.of("backoff is capped at 5 min", 30, null, Duration.ofMinutes(5)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("retryDelay")
    void retryDelay(String name, int failures, Duration retryAfter, Duration expected) {
        assertThat(RefreshPolicy.retryDelay(failures, retryAfter, Optional.empty(), Optional.empty(), ISSUED))
                .isEqualTo(expected);
    }

    @Test
    void aWaitIsNeverShorterThanOneSecond() {
        assertThat(RefreshPolicy.waitUntil(ISSUED, ISSUED.minusSeconds(5))).isEqualTo(Duration.ofSeconds(1));
        assertThat(RefreshPolicy.waitUntil(ISSUED, ISSUED.plusMillis(300))).isEqualTo(Duration.ofSeconds(1));
        assertThat(RefreshPolicy.waitUntil(ISSUED, ISSUED.plusSeconds(90))).isEqualTo(Duration.ofSeconds(90));
    }

    @Test
    void jitterIsDeterministicBoundedAndSpread() {
        Duration margin = Duration.ofHours(2);
        assertThat(RefreshPolicy.jitter(UID, margin)).as("pinned: the same uid always gets the same jitter")
                .isEqualTo(JITTER_2H);
        Set<Duration> seen = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            Duration j = RefreshPolicy.jitter("uid-" + i, margin);
            assertThat(j).isBetween(Duration.ZERO, Duration.ofMinutes(6));
            seen.add(j);
        }
        assertThat(seen).hasSizeGreaterThan(150);
    }

    @Test
    void backoffDoubles() {
        assertThat(RefreshPolicy.backoff(1)).isEqualTo(Duration.ofSeconds(2));
        assertThat(RefreshPolicy.backoff(2)).isEqualTo(Duration.ofSeconds(4));
        assertThat(RefreshPolicy.backoff(8)).isEqualTo(Duration.ofSeconds(256));
        assertThat(RefreshPolicy.backoff(9)).isEqualTo(Duration.ofMinutes(5));
    }
}
