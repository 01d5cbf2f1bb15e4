package dev.slacktokens.operator.reconciler;

import java.time.Duration;
import java.time.Instant;

import dev.slacktokens.operator.slack.SlackApiException;
import dev.slacktokens.operator.slack.SlackPermanentException;
import dev.slacktokens.operator.slack.SlackRateLimitedException;
import dev.slacktokens.operator.store.RefreshJournal;
import dev.slacktokens.operator.store.StoreState;

/** How one refresh of one pair ended ({@link TokenRefresher}), with the token store as it left it. */
public sealed interface RefreshOutcome {

    /** The {@code result} label of {@code slack_token_refreshes_total}. */
    default String metricLabel() {
        if (this instanceof Refreshed) {
            return "success";
        }
        if (this instanceof Failed f) {
            return f.cause() instanceof SlackRateLimitedException ? "rate_limited"
                    : f.cause().isInvalidClient() ? "invalid_client" : "transient_error";
        }
        if (this instanceof Queued) {
            return "queued";
        }
        return this instanceof Dead ? "rejected" : "superseded";
    }

    /** The new pair is in the store. */
    record Refreshed(StoreState store) implements RefreshOutcome {
    }

    /** Slack failed (transient, rate-limited, or the app's credentials); recorded in the pair's journal. */
    record Failed(SlackApiException cause, StoreState store) implements RefreshOutcome {
    }

    /** Over the operator's own rate limit: nothing was written or sent; try again after {@code delay}. */
    record Queued(Duration delay) implements RefreshOutcome {
    }

    /** Slack no longer accepts the pair; it was dropped from the store. */
    record Dead(StoreState store) implements RefreshOutcome {
    }

    /** Another writer changed the store meanwhile (or holds the token now); decide again from what it holds. */
    record Superseded() implements RefreshOutcome {
    }

    /** What a Slack error answering a refresh means for the pair. */
    enum Verdict {
        /** Slack no longer accepts the refresh token: the tokens are dropped and a new consent is needed. */
        DEAD,
        /** Nothing was minted: the same refresh token is tried again after the backoff (or Retry-After). */
        RETRY
    }

    /** Pure: the error strings of {@link SlackApiException} decide; a new Slack error is one entry there. */
    static Verdict verdict(SlackApiException e) {
        return e instanceof SlackPermanentException && (e.isInvalidGrant() || e.isTokenDead()) ? Verdict.DEAD
                : Verdict.RETRY;
    }

    /**
     * Pure: the journal after an attempt that failed with {@code e} at {@code now}: one more failure, Slack's error,
     * whether the app's credentials were refused, and the next try after the capped backoff or Slack's Retry-After,
     * whichever is longer.
     */
    static RefreshJournal failedAttempt(RefreshJournal journal, SlackApiException e, Instant now) {
        Duration delay = RefreshPolicy.retryDelay(journal.failures() + 1,
                e instanceof SlackRateLimitedException rl ? rl.retryAfter() : null);
        return journal.failed(now, now.plus(delay), e.error(), e.isInvalidClient());
    }
}
