package dev.slacktokens.operator.slack;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.PriorityQueue;

/**
 * A client-side limit on one Slack method, shared by every connection: at most {@code perMinute} calls in any
 * sliding 60 s window, counted the way Slack can only count fewer. A call over the limit is not sent; the caller gets
 * how long to wait, so that a mass refresh (say, after an outage) queues up instead of drawing HTTP 429s from Slack.
 * <p>
 * A permit holds its place from when it is taken until the call's answer is back, and its minute starts then: Slack
 * counts a call from its arrival, which lies between the two, so however long the call takes to be sent (the refresh
 * journal is written first) or answered, no 60 s window of arrivals at Slack holds more than {@code perMinute}. A
 * permit given back unused ({@link Permit#close()} before {@link Permit#sent()}) frees its place at once.
 */
public final class SlackRateLimiter {

    /** What a caller is told when every place is held by a call still waiting for its answer. */
    static final Duration WAIT_FOR_ANSWERS = Duration.ofSeconds(1);
    private static final Duration WINDOW = Duration.ofMinutes(1);

    private final int perMinute;
    private final Clock clock;
    /** When each answered call's minute started (its answer), oldest first. */
    private final PriorityQueue<Instant> answered = new PriorityQueue<>();
    /** Permits taken and not given back yet. */
    private int held;

    public SlackRateLimiter(int perMinute, Clock clock) {
        if (perMinute < 1) {
            throw new IllegalArgumentException("a Slack rate limit must allow at least one call per minute");
        }
        this.perMinute = perMinute;
        this.clock = clock;
    }

    /** The outcome of {@link #tryAcquire()}: a {@link Permit}, or a {@link Wait}. */
    public sealed interface Attempt permits Permit, Wait {
    }

    /** Over the limit: nothing was taken; a place frees up in {@code duration} at the earliest. */
    public record Wait(Duration duration) implements Attempt {
    }

    /**
     * A place in the limit. Mark it {@link #sent()} just before the call goes out and {@link #close()} it once the
     * answer (or the failure) is back; closing twice is harmless.
     */
    public final class Permit implements Attempt, AutoCloseable {
        private boolean sent;
        private boolean closed;

        /** The call is going out: from now on, closing starts this place's minute instead of freeing it. */
        public void sent() {
            sent = true;
        }

        @Override
        public void close() {
            synchronized (SlackRateLimiter.this) {
                if (closed) {
                    return;
                }
                closed = true;
                held--;
                if (sent) {
                    answered.add(clock.instant());
                }
            }
        }
    }

    /** Takes a permit now, or says how long until one may free up (nothing is taken then). */
    public synchronized Attempt tryAcquire() {
        Instant now = clock.instant();
        while (!answered.isEmpty() && !answered.peek().isAfter(now.minus(WINDOW))) {
            answered.poll();
        }
        if (held + answered.size() < perMinute) {
            held++;
            return new Permit();
        }
        if (answered.isEmpty()) {
            return new Wait(WAIT_FOR_ANSWERS);
        }
        Duration wait = Duration.between(now, answered.peek().plus(WINDOW));
        return new Wait(wait.isNegative() || wait.isZero() ? Duration.ofMillis(1) : wait);
    }

    public int perMinute() {
        return perMinute;
    }
}
