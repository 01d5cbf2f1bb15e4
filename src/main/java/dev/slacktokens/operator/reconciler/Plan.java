package dev.slacktokens.operator.reconciler;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

import dev.slacktokens.operator.api.v1alpha1.Reason;
import dev.slacktokens.operator.store.RefreshJournal;
import dev.slacktokens.operator.store.StoreState;
import dev.slacktokens.operator.store.StoredTokens;
import dev.slacktokens.operator.store.TokenPair;

/**
 * What a reconcile pass does next, decided by {@link Decision} (pure). An {@link Action} changes the token store,
 * after which the pass decides again from the new state; a {@link Final} plan ends the pass: the workload Secret is
 * projected from it, the status is built from it ({@link StatusBuilder}), and the pass looks again at
 * {@link Final#lookAgainAt()}.
 */
sealed interface Plan {

    /** Changes the token store (or asks Slack to). */
    sealed interface Action extends Plan {
    }

    /** Ends the pass. */
    sealed interface Final extends Plan {
        /** When to look again (empty: only on events and the failsafe resync). */
        Optional<Instant> lookAgainAt();
    }

    /** The spec (or the Slack app it names) cannot be used. */
    record Invalid(String message, Optional<Instant> lookAgainAt) implements Final {
    }

    /** The legacy import was refused (a clear error, not a loop). */
    record Refused(Reason reason, String message, Optional<Instant> lookAgainAt) implements Final {
    }

    /** No live tokens: publish an authorize link; {@code store.dead} says why the last ones died. */
    record AwaitConsent(Optional<StoreState> store, Optional<Instant> lookAgainAt) implements Final {
    }

    /**
     * Live tokens: project them, and say when the next refresh is due and how the last ones went.
     *
     * @param missingScopes requested user scopes Slack did not grant (a link is published while any are missing)
     */
    record Project(StoreState store, StoredTokens tokens, Due user, Due bot, Optional<Instant> queuedUntil,
            List<String> missingScopes, Optional<Instant> lookAgainAt) implements Final {
    }

    /** Re-authorization requested: revoke the grant, drop the tokens, record the request as handled. */
    record Discard(String request) implements Action {
    }

    /** {@code spec.importFrom} and no store yet: exchange the long-lived token. */
    record Import() implements Action {
    }

    /**
     * Refresh one pair now ({@code manualRequest}: the refresh annotation value it answers; {@code scheduledFor}: the
     * {@code refreshAt} of a refresh on schedule, empty for a manual request, a retry or a resumed refresh).
     */
    record Refresh(TokenPair pair, Optional<String> manualRequest, Optional<Instant> scheduledFor) implements Action {
    }

    /** A manual refresh request for a token that does not rotate: record it as handled. */
    record MarkHandled(String request) implements Action {
    }

    /**
     * When one pair is refreshed next.
     *
     * @param now      due in this pass
     * @param at       when it is due (empty: never, a token that does not rotate)
     * @param failures the journal of the failed attempts with the current refresh token, if any
     * @param onSchedule whether {@code at} is the token's {@code refreshAt} (not a retry, a resume or a request)
     */
    record Due(boolean now, Optional<Instant> at, Optional<RefreshJournal> failures, boolean onSchedule) {
        static final Due NEVER = new Due(false, Optional.empty(), Optional.empty(), false);

        Due(boolean now, Optional<Instant> at, Optional<RefreshJournal> failures) {
            this(now, at, failures, false);
        }

        /** The {@code refreshAt} a refresh starting now is late against, if it is on schedule. */
        Optional<Instant> scheduledFor() {
            return onSchedule ? at : Optional.empty();
        }
    }
}
