package dev.slacktokens.operator.reconciler;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.zip.CRC32;

/**
 * When to refresh a rotating token: a pure function of the token's times, the connection's margin, the failure
 * history and now. No I/O, no clock of its own.
 *
 * <ul>
 * <li>{@code refreshAt = expiresAt − margin − jitter}, where the margin is {@code refreshBefore} clamped to half
 * the token's real lifetime (so a short simulated lifetime works and no margin can cause a refresh storm), and the
 * jitter is deterministic per connection, up to 5 % of the margin (so a thousand tokens issued together do not
 * refresh in the same second);</li>
 * <li>after failures, the next attempt waits a capped exponential backoff from the last failure, and never less
 * than the server's Retry-After;</li>
 * <li>due or already expired: refresh now; a token without expiry is never refreshed;</li>
 * <li>never a tight loop: a wait is at least {@link #MIN_WAIT}.</li>
 * </ul>
 */
public final class RefreshPolicy {

    public static final Duration MIN_WAIT = Duration.ofSeconds(1);
    public static final Duration BACKOFF_BASE = Duration.ofSeconds(2);
    public static final Duration BACKOFF_CAP = Duration.ofMinutes(5);
    static final double JITTER_FRACTION = 0.05;

    private RefreshPolicy() {
    }

    /** What the reconciler should do now, and when to look again. */
    public record Decision(boolean refreshNow, Optional<Instant> refreshAt, Optional<Duration> waitFor) {

        static Decision never() {
            return new Decision(false, Optional.empty(), Optional.empty());
        }
    }

    /**
     * @param connectionUid     seeds the jitter
     * @param issuedAt          when the current access token was issued
     * @param expiresAt         when it expires; empty for a non-rotating token
     * @param refreshBefore     the connection's margin before expiry
     * @param failedAttempts    consecutive failed refreshes so far
     * @param lastFailure       when the last one failed
     * @param retryAfter        the server's Retry-After from the last failure, if any
     */
    public static Decision decide(String connectionUid, Instant issuedAt, Optional<Instant> expiresAt,
            Duration refreshBefore, int failedAttempts, Optional<Instant> lastFailure, Optional<Duration> retryAfter,
            Instant now) {
        if (expiresAt.isEmpty()) {
            return Decision.never();
        }
        Instant expiry = expiresAt.get();
        Duration margin = margin(refreshBefore, Duration.between(issuedAt, expiry));
        Instant refreshAt = expiry.minus(margin).minus(jitter(connectionUid, margin));
        if (failedAttempts > 0 && lastFailure.isPresent()) {
            Duration backoff = backoff(failedAttempts);
            if (retryAfter.isPresent() && retryAfter.get().compareTo(backoff) > 0) {
                backoff = retryAfter.get();
            }
            Instant retryAt = lastFailure.get().plus(backoff);
            if (retryAt.isAfter(refreshAt)) {
                refreshAt = retryAt;
            }
        }
        if (!now.isBefore(refreshAt)) {
            return new Decision(true, Optional.of(refreshAt), Optional.empty());
        }
        Duration wait = Duration.between(now, refreshAt);
        return new Decision(false, Optional.of(refreshAt), Optional.of(wait.compareTo(MIN_WAIT) < 0 ? MIN_WAIT : wait));
    }

    /** {@code refreshBefore} clamped to half of the lifetime (a lifetime of zero or less gives no margin). */
    static Duration margin(Duration refreshBefore, Duration lifetime) {
        Duration half = lifetime.isNegative() ? Duration.ZERO : lifetime.dividedBy(2);
        return refreshBefore.compareTo(half) > 0 ? half : refreshBefore;
    }

    /** Deterministic per connection: 0 to 5 % of the margin. */
    static Duration jitter(String connectionUid, Duration margin) {
        CRC32 crc = new CRC32();
        crc.update(connectionUid.getBytes(StandardCharsets.UTF_8));
        double fraction = (crc.getValue() % 10_000) / 10_000.0 * JITTER_FRACTION;
        return Duration.ofMillis((long) (margin.toMillis() * fraction));
    }

    /** 2 s, 4 s, 8 s, … capped at 5 min. */
    static Duration backoff(int failedAttempts) {
        int exponent = Math.min(Math.max(failedAttempts - 1, 0), 20);
        Duration d = BACKOFF_BASE.multipliedBy(1L << exponent);
        return d.compareTo(BACKOFF_CAP) > 0 ? BACKOFF_CAP : d;
    }
}
