package dev.slacktokens.operator.oauth;

import java.util.Map;
import java.util.Optional;

import dev.slacktokens.operator.store.Labels;
import dev.slacktokens.operator.store.StoreState;

/**
 * Whether a completed consent may replace what a connection's token store holds (pure). A connection is bound to
 * one Slack identity (user, and workspace or organization): the same identity renews it; another identity takes it
 * over only when its tokens are dead or its owner asked for a re-authorization ({@code slacktokens.dev/reauthorize}
 * with a value not acted on yet). Otherwise a stranger holding a link could silently swap the person whose token
 * the workloads use.
 */
final class Rebinding {

    enum Verdict {
        /** Nothing was bound yet. */
        FIRST,
        /** The same identity consented again: its tokens are replaced. */
        RENEW,
        /** Another identity takes over (tokens dead, or re-authorization requested). */
        SWITCH,
        /** Another identity, while the bound one's tokens are live and no re-authorization was requested. */
        REFUSE
    }

    /** A Slack identity: user id and workspace (team id, or the organization's id for org installs). */
    record Identity(String userId, String workspace) {

        @Override
        public String toString() {
            return userId + (workspace == null ? "" : " in " + workspace);
        }
    }

    private Rebinding() {
    }

    /** The identity a token store is bound to, if any (dead stores keep it). */
    static Optional<Identity> bound(StoreState store) {
        if (store == null) {
            return Optional.empty();
        }
        Map<String, String> stored = store.identity();
        String user = stored.get("user_id");
        return user == null ? Optional.empty()
                : Optional.of(new Identity(user, stored.getOrDefault("team_id", stored.get("enterprise_id"))));
    }

    static Verdict decide(StoreState store, Map<String, String> connectionAnnotations, Identity incoming) {
        Optional<Identity> bound = bound(store);
        if (bound.isEmpty()) {
            return Verdict.FIRST;
        }
        if (bound.get().equals(incoming)) {
            return Verdict.RENEW;
        }
        boolean live = store.tokens().isPresent();
        return !live || reauthorizationPending(store, connectionAnnotations) ? Verdict.SWITCH : Verdict.REFUSE;
    }

    /** A {@code slacktokens.dev/reauthorize} value the store has not acted on yet. */
    static boolean reauthorizationPending(StoreState store, Map<String, String> connectionAnnotations) {
        String requested = connectionAnnotations == null ? null
                : connectionAnnotations.get(Labels.REAUTHORIZE_REQUEST);
        return requested != null
                && !Optional.of(requested).equals(store.reauthorizeHandled());
    }
}
