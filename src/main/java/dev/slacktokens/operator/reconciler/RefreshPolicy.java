package dev.slacktokens.operator.reconciler;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.zip.CRC32;

/**
 * The timing of a rotating token (pure, no clock of its own):
 * <ul>
 * <li>{@code refreshAt = expiresAt − margin − jitter}, where the margin is {@code refreshBefore} clamped to half
 * the token's real lifetime (so a short simulated lifetime works and no margin can cause a refresh storm), and the
 * jitter is deterministic per connection, up to 5 % of the margin (so a thousand tokens issued together do not
 * refresh in the same second);</li>
 * <li>after failures, the next attempt waits a capped exponential backoff (2 s, 4 s, … 5 min), or the server's
 * Retry-After if longer;</li>
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

    /** When a token issued at {@code issuedAt} and expiring at {@code expiresAt} is refreshed. */
    public static Instant refreshAt(String jitterSeed, Instant issuedAt, Instant expiresAt, Duration refreshBefore) {
        Duration margin = margin(refreshBefore, Duration.between(issuedAt, expiresAt));
        return expiresAt.minus(margin).minus(jitter(jitterSeed, margin));
    }

    /** The wait before the next try after {@code failures} failed attempts: the backoff, or Retry-After if longer. */
    public static Duration retryDelay(int failures, Duration retryAfter) {
        Duration backoff = backoff(failures);
        return retryAfter != null && retryAfter.compareTo(backoff) > 0 ? retryAfter : backoff;
    }

    /** How long from {@code now} until {@code at}, at least {@link #MIN_WAIT}. */
    public static Duration waitUntil(Instant now, Instant at) {
        Duration d = Duration.between(now, at);
        return d.compareTo(MIN_WAIT) < 0 ? MIN_WAIT : d;
    }

    /** {@code refreshBefore} clamped to half of the lifetime (a lifetime of zero or less gives no margin). */
    static Duration margin(Duration refreshBefore, Duration lifetime) {
        Duration half = lifetime.isNegative() ? Duration.ZERO : lifetime.dividedBy(2);
        return refreshBefore.compareTo(half) > 0 ? half : refreshBefore;
    }

    /** Deterministic per connection: 0 to 5 % of the margin. */
    static Duration jitter(String seed, Duration margin) {
        CRC32 crc = new CRC32();
        crc.update(seed.getBytes(StandardCharsets.UTF_8));
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
