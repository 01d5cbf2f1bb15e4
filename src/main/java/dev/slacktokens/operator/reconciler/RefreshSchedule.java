package dev.slacktokens.operator.reconciler;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import dev.slacktokens.operator.store.RefreshJournal;
import dev.slacktokens.operator.store.StoredTokens;
import dev.slacktokens.operator.store.TokenPair;

/**
 * When one pair is refreshed next: a pure function of its times, its journal, a pending manual request, the margin
 * and now. In order:
 * <ul>
 * <li>no refresh token (a non-rotating token): never;</li>
 * <li>an open journal for the current refresh token (an attempt whose answer was never recorded): now, to resume
 * it inside Slack's grace period;</li>
 * <li>recorded failures for the current refresh token: at the journal's {@code retryAt} (backoff or Retry-After),
 * for a manual request too;</li>
 * <li>otherwise at {@link RefreshPolicy}'s {@code refreshAt}, or now for a manual request.</li>
 * </ul>
 */
final class RefreshSchedule {

    private RefreshSchedule() {
    }

    /**
     * @param now      whether to refresh in this pass
     * @param at       when the next refresh is due (empty: never)
     * @param failures the journal of the failures of the current refresh token, if any
     */
    record Due(boolean now, Optional<Instant> at, Optional<RefreshJournal> failures) {

        static final Due NEVER = new Due(false, Optional.empty(), Optional.empty());

        /** Just failed: due at the journal's next try, carrying its failures. */
        static Due retrying(RefreshJournal failed) {
            return new Due(false, failed.retryAt(), Optional.of(failed));
        }

        /** How long until it is due (at least {@link RefreshPolicy#MIN_WAIT}); empty when never. */
        Optional<Duration> waitFrom(Instant clockNow) {
            return at.map(t -> {
                Duration d = Duration.between(clockNow, t);
                return d.compareTo(RefreshPolicy.MIN_WAIT) < 0 ? RefreshPolicy.MIN_WAIT : d;
            });
        }
    }

    static Due of(TokenPair pair, String connectionUid, StoredTokens tokens, Optional<RefreshJournal> journal,
            boolean manualRequest, Duration refreshBefore, Instant now) {
        var refreshToken = pair.refreshToken(tokens);
        if (refreshToken.isEmpty()) {
            return Due.NEVER;
        }
        Optional<RefreshJournal> current = journal.filter(j -> j.isFor(refreshToken.get()));
        if (current.isPresent() && current.get().open()) {
            return new Due(true, Optional.of(now), current.filter(j -> j.failures() > 0));
        }
        if (current.isPresent() && current.get().failures() > 0) {
            Instant retryAt = current.get().retryAt().orElse(now);
            return new Due(!now.isBefore(retryAt), Optional.of(retryAt), current);
        }
        RefreshPolicy.Decision d = RefreshPolicy.decide(pair.jitterSeed(connectionUid), pair.issuedAt(tokens),
                pair.expiresAt(tokens), refreshBefore, 0, Optional.empty(), Optional.empty(), now);
        if (manualRequest) {
            return new Due(true, Optional.of(now), Optional.empty());
        }
        return new Due(d.refreshNow(), d.refreshAt(), Optional.empty());
    }
}
