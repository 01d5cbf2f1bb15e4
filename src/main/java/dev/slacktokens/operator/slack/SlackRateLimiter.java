package dev.slacktokens.operator.slack;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;

/**
 * A client-side limit on one Slack method, shared by every connection: at most {@code perMinute} calls in any
 * sliding 60 s window (plus {@link #MARGIN}). A call over the limit is not sent; the caller gets how long to wait, so
 * that a mass refresh (say, after an outage) queues up instead of drawing HTTP 429s from Slack.
 */
public final class SlackRateLimiter {

    /**
     * A permit frees this long after the minute: the call reaches Slack a moment after its permit (the refresh journal
     * is written in between), and Slack counts it from its arrival. Costs 3 % of the throughput at the limit.
     */
    public static final Duration MARGIN = Duration.ofSeconds(2);
    private static final Duration WINDOW = Duration.ofMinutes(1).plus(MARGIN);

    private final int perMinute;
    private final Clock clock;
    private final Deque<Instant> calls = new ArrayDeque<>();

    public SlackRateLimiter(int perMinute, Clock clock) {
        if (perMinute < 1) {
            throw new IllegalArgumentException("a Slack rate limit must allow at least one call per minute");
        }
        this.perMinute = perMinute;
        this.clock = clock;
    }

    /** Takes a permit now, or says how long until one frees up (nothing is taken then). */
    public synchronized Optional<Duration> tryAcquire() {
        Instant now = clock.instant();
        while (!calls.isEmpty() && !calls.peekFirst().isAfter(now.minus(WINDOW))) {
            calls.pollFirst();
        }
        if (calls.size() < perMinute) {
            calls.addLast(now);
            return Optional.empty();
        }
        Duration wait = Duration.between(now, calls.peekFirst().plus(WINDOW));
        return Optional.of(wait.isNegative() || wait.isZero() ? Duration.ofMillis(1) : wait);
    }

    public int perMinute() {
        return perMinute;
    }
}
