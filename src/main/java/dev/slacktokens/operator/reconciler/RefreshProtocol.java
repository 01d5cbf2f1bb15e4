package dev.slacktokens.operator.reconciler;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;

import dev.slacktokens.operator.slack.RefreshedToken;
import dev.slacktokens.operator.slack.SlackApiException;
import dev.slacktokens.operator.slack.SlackPermanentException;
import dev.slacktokens.operator.slack.SlackRateLimitedException;
import dev.slacktokens.operator.slack.SlackToken;
import dev.slacktokens.operator.store.RefreshJournal;
import dev.slacktokens.operator.store.StoreState;
import dev.slacktokens.operator.store.StoredTokens;
import dev.slacktokens.operator.store.TokenPair;

/**
 * What the answers of one refresh mean (pure; {@link TokenRefresher} does the I/O). One rule: <b>an outcome that was
 * not seen is "maybe done"</b>.
 * <ul>
 * <li>Slack: only Slack's word (a documented error, a 429) or a request that never left the process says that nothing
 * was minted. A timeout, a reset connection, an HTTP 5xx, a body that is not Slack JSON, or one of Slack's own "it
 * went wrong on our side" errors may follow a rotation Slack really made: the refresh is <em>in doubt</em>, and the
 * same refresh token is tried again at once and then at a short pace (inside Slack's unpublished grace period), the
 * pair it returns checked with {@code auth.test}.</li>
 * <li>The token store: a write whose answer was lost may have landed. What the store holds, read back and compared by
 * content (both tokens of the pair, never a digest alone), decides; a pair that is or may be in the store is never
 * revoked.</li>
 * </ul>
 * A new Slack error is one entry in a set here; a new store result one row of {@link #afterWrite}.
 */
final class RefreshProtocol {

    private RefreshProtocol() {
    }

    /** What Slack's answer to a refresh says about the pair. */
    enum Minted {
        /** Slack's word that the refresh token is no longer usable: nothing was minted, and nothing will be. */
        DEAD,
        /** Slack's word that nothing was minted (a documented error, a 429), or a request that never left. */
        NO,
        /** The request may have reached Slack and rotated the pair: in doubt. */
        UNKNOWN
    }

    /**
     * Slack's words for a refresh token it will not take again (documented for {@code oauth.v2.access}; the last one
     * reported in the wild). Not {@code invalid_auth}, {@code not_authed} or {@code invalid_token}: an IP allowlist or
     * a misconfigured client answers those, and they must not wipe every store.
     */
    static final Set<String> DEAD_ERRORS = Set.of("invalid_refresh_token", "token_revoked", "token_expired",
            "account_inactive", "refresh_token_expired");
    /**
     * Slack's own errors after which "it's possible some aspect of the operation succeeded" (Slack's words for
     * {@code internal_error}; the others are read the same way, as the worst plausible answer).
     */
    static final Set<String> MAYBE_DONE_ERRORS = Set.of("internal_error", "fatal_error", "request_timeout",
            "service_unavailable");
    /** Our errors for a request that never left this process (the connection was never made). */
    static final Set<String> NEVER_SENT = Set.of("connection_refused");

    /** What Slack's answer to {@code oauth.v2.access} with {@code grant_type=refresh_token} means. */
    static Minted minted(SlackApiException e) {
        if (e instanceof SlackRateLimitedException) {
            return Minted.NO;
        }
        if (DEAD_ERRORS.contains(e.error())) {
            return Minted.DEAD;
        }
        if (MAYBE_DONE_ERRORS.contains(e.error())) {
            return Minted.UNKNOWN;
        }
        // Slack's documented errors (and an HTTP 4xx answered in front of it) refuse the request as a whole.
        return e instanceof SlackPermanentException || NEVER_SENT.contains(e.error()) ? Minted.NO : Minted.UNKNOWN;
    }

    /** What {@code auth.test} says of a pair got by a refresh that was in doubt or resumed. */
    enum Check {
        /** Slack does not accept the access token: the pair is dead (a later reuse invalidated it). */
        DEAD,
        /** Anything else (including an error that says nothing about the token): the pair is used. */
        USE
    }

    /** Slack's words for an access token it does not accept any more ({@code auth.test}). */
    static final Set<String> DEAD_ACCESS_TOKEN = Set.of("token_revoked", "token_expired", "account_inactive");

    static Check check(SlackApiException e) {
        return e instanceof SlackPermanentException && DEAD_ACCESS_TOKEN.contains(e.error()) ? Check.DEAD : Check.USE;
    }

    /**
     * The journal after an attempt that ended with {@code e} at {@code now} (not {@link Minted#DEAD}): one more
     * failure, the error, whether the app's credentials were refused, whether the outcome is now in doubt, and the
     * next try ({@link RefreshPolicy#retryDelay}: at once and at a short pace in doubt, else the backoff within the
     * time the access token has left, or Slack's Retry-After if longer).
     */
    static RefreshJournal afterFailure(RefreshJournal journal, SlackApiException e, Optional<Instant> expiresAt,
            Instant now) {
        boolean unknown = minted(e) == Minted.UNKNOWN;
        Optional<Instant> inDoubtSince = journal.inDoubtSince().or(() -> unknown ? Optional.of(now) : Optional.empty());
        Duration delay = RefreshPolicy.retryDelay(journal.failures() + 1,
                e instanceof SlackRateLimitedException rl ? rl.retryAfter() : null, inDoubtSince, expiresAt, now);
        return journal.failed(now, now.plus(delay), e.error(), e.isInvalidClient(), unknown);
    }

    /** How a write of the refreshed pair ended. */
    enum Write {
        /** The API server said it landed. */
        LANDED,
        /** 409: the store changed since it was read. */
        CONFLICT,
        /** Any other failure (a timeout, a 5xx, a webhook, a reset connection): it may have landed. */
        UNKNOWN
    }

    /** What the store holds for the pair, read back after a write that did not say it landed. */
    enum Held {
        /** The pair Slack returned to us (both tokens equal): our write landed. */
        FRESH,
        /** The refresh token we used, with our journal: our write did not land. */
        USED,
        /** The refresh token we used, with another writer's journal for it: that writer is refreshing it too. */
        USED_BY_ANOTHER,
        /** Something else (another writer's pair, no tokens, or no store): ours is not and will not be in the store. */
        OTHER,
        /** The read failed too: ours may or may not be in the store. */
        UNREADABLE
    }

    /** What the refresher does next. */
    enum Step {
        /** The pair is in the store. */
        DONE,
        /** Write the pair again, on what the store holds now. */
        WRITE_AGAIN,
        /** Write again, and check the pair with {@code auth.test} once it landed (another use of the token raced). */
        WRITE_AGAIN_AND_CHECK,
        /**
         * Keep the pair in memory (nothing revoked); the next pass reads the store back before it writes the pair or
         * drops it.
         */
        PARK,
        /** Another writer's tokens are in the store: ours were never there and are revoked. */
        SUPERSEDED
    }

    /**
     * The store-write table.
     *
     * @param timeLeft whether {@code slack-operator.store-write-retry} still allows a write in this pass
     */
    static Step afterWrite(Write write, Held held, boolean timeLeft) {
        if (write == Write.LANDED) {
            return Step.DONE;
        }
        return switch (held) {
            case FRESH -> Step.DONE;
            case USED -> timeLeft ? Step.WRITE_AGAIN : Step.PARK;
            case USED_BY_ANOTHER -> timeLeft ? Step.WRITE_AGAIN_AND_CHECK : Step.PARK;
            case OTHER -> Step.SUPERSEDED;
            // written again on the same resourceVersion: if it had landed, the next answer is a conflict and the
            // read-back finds it
            case UNREADABLE -> timeLeft ? Step.WRITE_AGAIN : Step.PARK;
        };
    }

    /**
     * What {@code current} (read back from the API server; empty: no store) holds for {@code pair}, compared by content
     * with the refresh token we used and the pair Slack returned.
     *
     * @param ours the journal this refresher wrote before it called Slack
     */
    static Held held(Optional<StoreState> current, TokenPair pair, SlackToken used, RefreshedToken fresh,
            RefreshJournal ours) {
        Optional<StoredTokens> tokens = current.flatMap(StoreState::tokens);
        Optional<SlackToken> refresh = tokens.flatMap(pair::refreshToken);
        Optional<SlackToken> access = tokens.flatMap(pair::accessToken);
        if (refresh.filter(fresh.refreshToken()::equals).isPresent()
                && access.filter(fresh.token().accessToken()::equals).isPresent()) {
            return Held.FRESH;
        }
        if (refresh.filter(used::equals).isPresent()) {
            boolean anotherJournal = current.flatMap(s -> s.journal(pair))
                    .filter(j -> j.isFor(used) && j.startedAt().isAfter(ours.startedAt())).isPresent();
            return anotherJournal ? Held.USED_BY_ANOTHER : Held.USED;
        }
        return Held.OTHER;
    }
}
