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

/** The refresh schedule, table-driven with a fixed clock. */
class RefreshPolicyTest {

    static final Instant ISSUED = Instant.parse("2026-01-01T00:00:00Z");
    static final Instant EXPIRES = ISSUED.plus(Duration.ofHours(12));
    static final String UID = "0b0b0b0b-uid";
    static final Duration JITTER_2H = RefreshPolicy.jitter(UID, Duration.ofHours(2));

    record Row(String name, Instant issued, Optional<Instant> expires, Duration refreshBefore, int failures,
            Optional<Instant> lastFailure, Optional<Duration> retryAfter, Instant now, boolean refreshNow,
            Optional<Instant> refreshAt, Optional<Duration> waitFor) {
    }

    static Stream<Arguments> table() {
        Instant due = EXPIRES.minus(Duration.ofHours(2)).minus(JITTER_2H);
        Duration jitter30s = RefreshPolicy.jitter(UID, Duration.ofSeconds(15));
        return Stream.of(
                row("non-rotating: never", ISSUED, Optional.empty(), Duration.ofHours(2), 0, null, null, ISSUED,
                        false, null, null),
                row("fresh 12 h token waits until 2 h (+jitter) before expiry", ISSUED, Optional.of(EXPIRES),
                        Duration.ofHours(2), 0, null, null, ISSUED, false, due, Duration.between(ISSUED, due)),
                row("exactly due: refresh now", ISSUED, Optional.of(EXPIRES), Duration.ofHours(2), 0, null, null, due,
                        true, due, null),
                row("already expired: refresh now", ISSUED, Optional.of(EXPIRES), Duration.ofHours(2), 0, null, null,
                        EXPIRES.plusSeconds(60), true, due, null),
                row("30 s lifetime clamps a 2 h margin to 15 s", ISSUED, Optional.of(ISSUED.plusSeconds(30)),
                        Duration.ofHours(2), 0, null, null, ISSUED, false,
                        ISSUED.plusSeconds(15).minus(jitter30s), Duration.ofSeconds(15).minus(jitter30s)),
                row("11 h margin on a 12 h token clamps to 6 h", ISSUED, Optional.of(EXPIRES), Duration.ofHours(11), 0,
                        null, null, ISSUED, false,
                        ISSUED.plus(Duration.ofHours(6)).minus(RefreshPolicy.jitter(UID, Duration.ofHours(6))),
                        Duration.ofHours(6).minus(RefreshPolicy.jitter(UID, Duration.ofHours(6)))),
                row("after a 3rd failure: 8 s backoff from the failure", ISSUED, Optional.of(EXPIRES),
                        Duration.ofHours(2), 3, due.plusSeconds(10), null, due.plusSeconds(11), false,
                        due.plusSeconds(18), Duration.ofSeconds(7)),
                row("Retry-After longer than the backoff wins", ISSUED, Optional.of(EXPIRES), Duration.ofHours(2), 1,
                        due, Duration.ofSeconds(30), due.plusSeconds(5), false, due.plusSeconds(30),
                        Duration.ofSeconds(25)),
                row("backoff is capped at 5 min", ISSUED, Optional.of(EXPIRES), Duration.ofHours(2), 30, due, null,
                        due, false, due.plus(Duration.ofMinutes(5)), Duration.ofMinutes(5)),
                row("backoff elapsed: refresh now", ISSUED, Optional.of(EXPIRES), Duration.ofHours(2), 2, due, null,
                        due.plusSeconds(4), true, due.plusSeconds(4), null),
                row("a wait is never shorter than 1 s", ISSUED, Optional.of(EXPIRES), Duration.ofHours(2), 0, null,
                        null, due.minusMillis(300), false, due, Duration.ofSeconds(1)));
    }

    static Arguments row(String name, Instant issued, Optional<Instant> expires, Duration refreshBefore, int failures,
            Instant lastFailure, Duration retryAfter, Instant now, boolean refreshNow, Instant refreshAt,
            Duration wait) {
        return Arguments.of(name, new Row(name, issued, expires, refreshBefore, failures,
                Optional.ofNullable(lastFailure), Optional.ofNullable(retryAfter), now, refreshNow,
                Optional.ofNullable(refreshAt), Optional.ofNullable(wait)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("table")
    void decides(String name, Row r) {
        var d = RefreshPolicy.decide(UID, r.issued(), r.expires(), r.refreshBefore(), r.failures(), r.lastFailure(),
                r.retryAfter(), r.now());
        assertThat(d.refreshNow()).as("refresh now").isEqualTo(r.refreshNow());
        assertThat(d.refreshAt()).as("refreshAt").isEqualTo(r.refreshAt());
        assertThat(d.waitFor()).as("wait").isEqualTo(r.waitFor());
    }

    @Test
    void jitterIsDeterministicBoundedAndSpread() {
        Duration margin = Duration.ofHours(2);
        assertThat(RefreshPolicy.jitter("a", margin)).isEqualTo(RefreshPolicy.jitter("a", margin));
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
