package dev.slacktokens.operator.testing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;

/** A clock for unit tests: fixed at an instant, moved forward by the test. */
public final class TestClock extends Clock {

    private final AtomicReference<Instant> now;

    private TestClock(Instant start) {
        this.now = new AtomicReference<>(start);
    }

    public static TestClock fixedAt(Instant instant) {
        return new TestClock(instant);
    }

    public void advance(Duration amount) {
        now.accumulateAndGet(null, (t, ignored) -> t.plus(amount));
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        throw new UnsupportedOperationException("a test clock is UTC");
    }

    @Override
    public Instant instant() {
        return now.get();
    }
}
