package dev.slacktokens.operator.reconciler;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.zip.CRC32;

/**
 * The timing of a rotating token (pure, no clock of its own):
 * <ul>
 * <li>{@code refreshAt = expiresAt − margin − jitter}, where the margin is {@code refreshBefore} clamped to half
 * the token's real lifetime (so a short simulated lifetime works and no margin can cause a refresh storm), and the
 * jitter is deterministic per connection, up to 5 % of the margin (so a thousand tokens issued together do not
 * refresh in the same second);</li>
 * <li>after failures, the next attempt waits a capped exponential backoff (2 s, 4 s, … 5 min), never longer than a
 * quarter of the time the access token has left (30 s once it expired), or the server's Retry-After if longer;</li>
 * <li>after an answer that leaves the outcome unknown (Slack may have rotated the pair), the same refresh token is
 * tried again at once, then every {@link #IN_DOUBT_PACE} for {@link #IN_DOUBT_WINDOW}: Slack keeps a used refresh
 * token valid for a grace period it does not publish, so every second counts;</li>
 * <li>never a tight loop: a wait is at least {@link #MIN_WAIT}.</li>
 * </ul>
 */
public final class RefreshPolicy {

    public static final Duration MIN_WAIT = Duration.ofSeconds(1);
    public static final Duration BACKOFF_BASE = Duration.ofSeconds(2);
    public static final Duration BACKOFF_CAP = Duration.ofMinutes(5);
    static final double JITTER_FRACTION = 0.05;
    /** The pace of retries while a refresh's outcome is unknown. */
    public static final Duration IN_DOUBT_PACE = Duration.ofSeconds(2);
    /** How long after the first unknown answer the pace holds; then the outcome is called unknown and backs off. */
    public static final Duration IN_DOUBT_WINDOW = Duration.ofMinutes(5);
    /** A backoff step is never longer than the time the access token has left divided by this. */
    static final int TIME_LEFT_DIVISOR = 4;
    /** Once the access token expired, a backoff step is never longer than this. */
    public static final Duration EXPIRED_CAP = Duration.ofSeconds(30);

    private RefreshPolicy() {
    }

    /** When a token issued at {@code issuedAt} and expiring at {@code expiresAt} is refreshed. */
    public static Instant refreshAt(String jitterSeed, Instant issuedAt, Instant expiresAt, Duration refreshBefore) {
        Duration margin = margin(refreshBefore, Duration.between(issuedAt, expiresAt));
        return expiresAt.minus(margin).minus(jitter(jitterSeed, margin));
    }

    /**
     * The wait before the next try, after an attempt that failed at {@code now} (the {@code failures}-th with this
     * refresh token):
     * <ul>
     * <li>in doubt since {@code inDoubtSince}: none if this answer is the first unknown one, then
     * {@link #IN_DOUBT_PACE} until {@link #IN_DOUBT_WINDOW} has passed;</li>
     * <li>otherwise the backoff, capped by the time left before {@code expiresAt} ({@link #backoffWithin});</li>
     * <li>Slack's Retry-After if longer: a 429 says when.</li>
     * </ul>
     */
    public static Duration retryDelay(int failures, Duration retryAfter, Optional<Instant> inDoubtSince,
            Optional<Instant> expiresAt, Instant now) {
        Duration step;
        if (inDoubtSince.isPresent() && now.isBefore(inDoubtSince.get().plus(IN_DOUBT_WINDOW))) {
            step = inDoubtSince.get().equals(now) ? Duration.ZERO : IN_DOUBT_PACE;
        } else {
            step = backoffWithin(failures, expiresAt, now);
        }
        return retryAfter != null && retryAfter.compareTo(step) > 0 ? retryAfter : step;
    }

    /**
     * The backoff after {@code failures} failed attempts, never longer than a quarter of the time left before
     * {@code expiresAt} (at least {@link #MIN_WAIT}), nor than {@link #EXPIRED_CAP} once it passed: a 30 s window is
     * not spent in four failures, at any token lifetime.
     */
    static Duration backoffWithin(int failures, Optional<Instant> expiresAt, Instant now) {
        Duration backoff = backoff(failures);
        if (expiresAt.isEmpty()) {
            return backoff;
        }
        Duration left = Duration.between(now, expiresAt.get());
        Duration cap = left.isNegative() || left.isZero() ? EXPIRED_CAP : left.dividedBy(TIME_LEFT_DIVISOR);
        cap = cap.compareTo(MIN_WAIT) < 0 ? MIN_WAIT : cap;
        return backoff.compareTo(cap) > 0 ? cap : backoff;
    }

    /**
     * A token is shown as expired this long before its {@code expires_at}: a pass is scheduled for that instant, so
     * that Ready turns False before a reader of the Secret could hold an expired token with Ready=True.
     */
    public static final Duration EXPIRY_GUARD = Duration.ofSeconds(2);

    /** Whether a token expiring at {@code expiresAt} (empty: never) counts as expired at {@code now}. */
    public static boolean expired(Optional<Instant> expiresAt, Instant now) {
        return expiresAt.map(t -> !now.isBefore(t.minus(EXPIRY_GUARD))).orElse(false);
    }

    /** The instant a token expiring at {@code expiresAt} starts to count as expired ({@link #EXPIRY_GUARD}). */
    public static Optional<Instant> expiryCheck(Optional<Instant> expiresAt) {
        return expiresAt.map(t -> t.minus(EXPIRY_GUARD));
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
