package dev.slacktokens.operator.events;

import java.time.Instant;
import java.util.Collection;
import java.util.Map;
import java.util.function.Predicate;

import jakarta.enterprise.context.ApplicationScoped;

import dev.slacktokens.operator.api.v1alpha1.Reason;
import dev.slacktokens.operator.store.Labels;
import dev.slacktokens.operator.store.TokenStore;
import io.fabric8.kubernetes.api.model.Secret;
import org.jboss.logging.Logger;

/**
 * Acts on Slack's revocation events at once, on whichever replica received them: the matching token stores lose
 * their dead tokens and say why; the leader's reconciler then updates the workload Secrets and conditions.
 */
@ApplicationScoped
public class RevocationHandler {

    private static final Logger LOG = Logger.getLogger(RevocationHandler.class);

    private final TokenStore store;

    RevocationHandler(TokenStore store) {
        this.store = store;
    }

    /**
     * {@code tokens_revoked}: the user tokens of the users in {@code tokens.oauth} and the bot tokens of the bot users
     * in {@code tokens.bot}, of this app in that workspace (or organization), are dead. A revoked user token ends the
     * connection's tokens; a revoked bot token only drops the bot pair. Tokens issued after the event (a
     * re-authorization before Slack's retry of the event arrived) are left alone. Returns how many connections were
     * affected.
     */
    public int tokensRevoked(Workspace where, String appId, Collection<String> userIds,
            Collection<String> botUserIds, Instant eventTime) {
        int users = mark(s -> where.holds(s) && ofApp(s, appId) && issuedBefore(s, eventTime)
                && userIds.contains(data(s).get("user_id")), Reason.ReauthorizationRequired,
                "Slack revoked this user's tokens (tokens_revoked event); a Slack user must authorize again: open "
                        + "status.authorizeUrl");
        int bots = 0;
        for (Secret s : store.listStores()) {
            var tokens = TokenStore.parse(s);
            if (tokens.flatMap(t -> t.bot()).isEmpty() || !where.holds(s) || !ofApp(s, appId)
                    || !issuedBefore(s, eventTime) || !botUserIds.contains(tokens.get().bot().get().botUserId())) {
                continue;
            }
            String why = "Slack revoked the bot token (tokens_revoked event); the bot token was removed. Authorize "
                    + "again (status.authorizeUrl) to get one";
            try {
                store.dropBot(s, why);
            } catch (TokenStore.ConflictException e) {
                store.fetch(s.getMetadata().getLabels().get(Labels.CONNECTION_UID))
                        .filter(fresh -> TokenStore.parse(fresh).flatMap(t -> t.bot()).isPresent())
                        .ifPresent(fresh -> store.dropBot(fresh, why));
            }
            bots++;
        }
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
        boolean holds(Secret s) {
            Map<String, String> d = data(s);
            String team = d.get("team_id");
            String enterprise = d.get("enterprise_id");
            if (teamId != null && (teamId.equals(team) || (team == null && teamId.equals(enterprise)))) {
                return true;
            }
            return team == null && enterpriseId != null && enterpriseId.equals(enterprise);
        }
    }

    /** {@code app_uninstalled}: every token of the app in that workspace is dead. */
    public int appUninstalled(Workspace where, String appId, Instant eventTime) {
        return mark(s -> where.holds(s) && ofApp(s, appId) && issuedBefore(s, eventTime), Reason.Revoked,
                "The Slack app was uninstalled from the workspace (app_uninstalled event); reinstall it and "
                        + "authorize again through status.authorizeUrl");
    }

    private int mark(Predicate<Secret> matches, Reason reason, String message) {
        int n = 0;
        for (Secret s : store.listStores()) {
            if (TokenStore.parse(s).isEmpty() || !matches.test(s)) {
                continue;
            }
            try {
                store.markDead(s, reason.name(), message);
                n++;
            } catch (TokenStore.ConflictException e) {
                // Changed meanwhile (a refresh): the new tokens belong to the same revoked grant; try once more.
                store.fetch(s.getMetadata().getLabels().get(Labels.CONNECTION_UID)).filter(matches)
                        .filter(fresh -> TokenStore.parse(fresh).isPresent())
                        .ifPresent(fresh -> store.markDead(fresh, reason.name(), message));
                n++;
            }
            LOG.infof("Tokens of %s/%s dropped: %s", s.getMetadata().getLabels().get(Labels.CONNECTION_NAMESPACE),
                    TokenStore.connectionName(s), reason);
        }
        return n;
    }

    private static boolean ofApp(Secret s, String appId) {
        String stored = data(s).get("app_id");
        return appId == null || stored == null || appId.equals(stored);
    }

    private static boolean issuedBefore(Secret s, Instant eventTime) {
        String issued = data(s).get("issued_at");
        return eventTime == null || issued == null || !Instant.parse(issued).isAfter(eventTime);
    }

    private static Map<String, String> data(Secret s) {
        return TokenStore.decodedIdentity(s);
    }
}
