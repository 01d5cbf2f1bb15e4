package dev.slacktokens.operator.reconciler;

import java.time.Duration;

import dev.slacktokens.operator.slack.SlackApiException;
import dev.slacktokens.operator.slack.SlackRateLimitedException;
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
                    : f.cause().isInvalidClient() ? "invalid_client"
                    : RefreshProtocol.minted(f.cause()) == RefreshProtocol.Minted.UNKNOWN ? "unknown_outcome"
                    : "transient_error";
        }
        if (this instanceof Queued) {
            return "queued";
        }
        return this instanceof Dead ? "rejected" : "superseded";
    }

    /** The new pair is in the store. */
    record Refreshed(StoreState store) implements RefreshOutcome {
    }

    /**
     * Slack failed (an unknown outcome, rate-limited, the app's credentials, another error); recorded in the pair's
     * journal with the next try.
     */
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
}
