package dev.slacktokens.operator.events;

import java.time.Instant;
import java.util.Collection;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.slacktokens.operator.api.v1alpha1.Reason;
import dev.slacktokens.operator.store.StoreState;
import dev.slacktokens.operator.store.TokenStore;
import org.jboss.logging.Logger;

/**
 * Acts on Slack's revocation events at once, on whichever replica received them: the matching token stores lose
 * their dead tokens and say why; the leader's reconciler then updates the workload Secrets and conditions.
 */
@ApplicationScoped
public class RevocationHandler {

    private static final Logger LOG = Logger.getLogger(RevocationHandler.class);

    @Inject
    TokenStore store;

    /**
     * {@code tokens_revoked}: the user tokens of the users in {@code tokens.oauth} and the bot tokens of the bot users
     * in {@code tokens.bot}, of this app in that workspace (or organization), are dead. A revoked user token ends the
     * connection's tokens; a revoked bot token only drops the bot pair. Tokens issued after the event (a
     * re-authorization before Slack's retry of the event arrived) are left alone. Returns how many connections were
     * affected.
     */
    public int tokensRevoked(Workspace where, String appId, Collection<String> userIds,
            Collection<String> botUserIds, Instant eventTime) {
        int users = change(s -> where.holds(s) && ofApp(s, appId) && issuedBefore(s, eventTime)
                && userIds.contains(s.identity().get("user_id")),
                s -> s.dead(Reason.ReauthorizationRequired, "Slack revoked this user's tokens (tokens_revoked event); "
                        + "a Slack user must authorize again: open status.authorizeUrl"));
        int bots = change(s -> s.tokens().flatMap(t -> t.bot()).filter(b -> botUserIds.contains(b.botUserId()))
                .isPresent() && where.holds(s) && ofApp(s, appId) && issuedBefore(s, eventTime),
                s -> s.withoutBot("Slack revoked the bot token (tokens_revoked event); the bot token was removed. "
                        + "Authorize again (status.authorizeUrl) to get one"));
        return users + bots;
    }

    /**
     * Where an event happened: its envelope's {@code team_id} and, for organization-wide installs, its
     * {@code enterprise_id}.
     */
    public record Workspace(String teamId, String enterpriseId) {

        /**
         * A store belongs here when its workspace is the event's, or when it holds an organization-wide install
         * (no workspace of its own) of the event's organization.
         */
        boolean holds(StoreState s) {
            String team = s.identity().get("team_id");
            String enterprise = s.identity().get("enterprise_id");
            if (teamId != null && (teamId.equals(team) || (team == null && teamId.equals(enterprise)))) {
                return true;
            }
            return team == null && enterpriseId != null && enterpriseId.equals(enterprise);
        }
    }

    /** {@code app_uninstalled}: every token of the app in that workspace is dead. */
    public int appUninstalled(Workspace where, String appId, Instant eventTime) {
        return change(s -> where.holds(s) && ofApp(s, appId) && issuedBefore(s, eventTime),
                s -> s.dead(Reason.Revoked, "The Slack app was uninstalled from the workspace (app_uninstalled "
                        + "event); reinstall it and authorize again through status.authorizeUrl"));
    }

    /**
     * Applies {@code change} to every store with live tokens that {@code matches}. A store changed meanwhile (a
     * refresh: its new tokens belong to the same revoked grant) is read again and changed if it still matches.
     */
    private int change(Predicate<StoreState> matches, UnaryOperator<StoreState> change) {
        int n = 0;
        for (StoreState s : store.list()) {
            if (s.tokens().isEmpty() || !matches.test(s)) {
                continue;
            }
            try {
                store.write(change.apply(s));
            } catch (TokenStore.ConflictException e) {
                store.fetch(s.owner().uid()).filter(fresh -> fresh.tokens().isPresent()).filter(matches)
                        .ifPresent(fresh -> store.write(change.apply(fresh)));
            }
            n++;
            LOG.infof("Tokens of %s dropped after a Slack event", s.owner());
        }
        return n;
    }

    private static boolean ofApp(StoreState s, String appId) {
        String stored = s.identity().get("app_id");
        return appId == null || stored == null || appId.equals(stored);
    }

    private static boolean issuedBefore(StoreState s, Instant eventTime) {
        String issued = s.identity().get("issued_at");
        return eventTime == null || issued == null || !Instant.parse(issued).isAfter(eventTime);
    }
}
