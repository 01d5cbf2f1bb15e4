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
     * {@code tokens_revoked}: the listed users' tokens of this app in that workspace are dead. Tokens issued after
     * the event (a re-authorization before Slack's retry of the event arrived) are left alone. Returns how many
     * connections were affected.
     */
    public int tokensRevoked(String teamId, String appId, Collection<String> userIds, Instant eventTime) {
        return mark(s -> inTeam(s, teamId) && ofApp(s, appId) && issuedBefore(s, eventTime)
                && userIds.contains(data(s).get("user_id")), Reason.ReauthorizationRequired,
                "Slack revoked this user's tokens (tokens_revoked event); a Slack user must authorize again: open "
                        + "status.authorizeUrl");
    }

    /** {@code app_uninstalled}: every token of the app in that workspace is dead. */
    public int appUninstalled(String teamId, String appId, Instant eventTime) {
        return mark(s -> inTeam(s, teamId) && ofApp(s, appId) && issuedBefore(s, eventTime), Reason.Revoked,
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
                    s.getMetadata().getLabels().get(Labels.CONNECTION), reason);
        }
        return n;
    }

    private static boolean inTeam(Secret s, String teamId) {
        Map<String, String> d = data(s);
        return teamId != null && (teamId.equals(d.get("team_id")) || teamId.equals(d.get("enterprise_id")));
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
