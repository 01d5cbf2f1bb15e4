package dev.slacktokens.operator.simulator;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;

/** The simulator's clock: a base clock plus an offset that its admin API ({@code /_sim/clock}) moves forward. */
public final class MutableClock extends Clock {

    private final Clock base;
    private final AtomicReference<Duration> offset = new AtomicReference<>(Duration.ZERO);

    public MutableClock(Clock base) {
        this.base = base;
    }

    public void advance(Duration amount) {
        if (amount.isNegative()) {
            throw new IllegalArgumentException("the simulator clock only moves forward");
        }
        offset.accumulateAndGet(amount, Duration::plus);
    }

    public Duration offset() {
        return offset.get();
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        throw new UnsupportedOperationException("the simulator clock is UTC");
    }

    @Override
    public Instant instant() {
        return base.instant().plus(offset.get());
    }
}
