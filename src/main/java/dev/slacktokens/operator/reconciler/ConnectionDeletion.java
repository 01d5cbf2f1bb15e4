package dev.slacktokens.operator.reconciler;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.slacktokens.operator.api.v1alpha1.DeletionPolicy;
import dev.slacktokens.operator.api.v1alpha1.Reason;
import dev.slacktokens.operator.api.v1alpha1.SlackUserConnection;
import dev.slacktokens.operator.config.OperatorConfig;
import dev.slacktokens.operator.connection.EventRecorder;
import dev.slacktokens.operator.grant.Grants;
import dev.slacktokens.operator.slack.SlackApiException;
import dev.slacktokens.operator.store.StoreState;
import dev.slacktokens.operator.store.StoredTokens;
import dev.slacktokens.operator.store.TokenStore;
import dev.slacktokens.operator.store.WorkloadSecretWriter;
import dev.slacktokens.operator.store.WorkloadSecrets;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import org.jboss.logging.Logger;

/**
 * What deleting a connection does (the finalizer): with {@code Revoke} (default) the tokens are revoked at Slack
 * ({@code auth.revoke}, idempotent; a Slack outage is retried, but not forever), with {@code Retain} the workload
 * Secret keeps its last access token and loses its ownerReference; then the token store is deleted.
 */
@ApplicationScoped
public class ConnectionDeletion {

    private static final Logger LOG = Logger.getLogger(ConnectionDeletion.class);
    @Inject
    TokenStore store;
    @Inject
    Grants grants;
    @Inject
    WorkloadSecretWriter workload;
    @Inject
    EventRecorder events;
    @Inject
    OperatorConfig operator;
    @Inject
    TokenRefresher refresher;
    @Inject
    Clock clock;

    public DeleteControl cleanup(SlackUserConnection c, Optional<StoreState> storeState) {
        String who = c.getMetadata().getNamespace() + "/" + c.getMetadata().getName();
        DeletionPolicy policy = Optional.ofNullable(c.getSpec().getDeletionPolicy()).orElse(DeletionPolicy.Revoke);
        Optional<StoredTokens> tokens = storeState.flatMap(StoreState::tokens);
        if (policy == DeletionPolicy.Revoke && tokens.isPresent()) {
            try {
                int revoked = grants.revoke(Grants.all(tokens.get()));
                LOG.infof("Deleted %s: revoked %d token(s) at Slack", who, revoked);
                events.normal(c, Reason.Revoked, "Revoked the connection's tokens at Slack (" + revoked
                        + " revoked, the rest already dead)");
            } catch (SlackApiException e) {
                OperatorConfig.Deletion config = operator.deletion();
                Instant deleting = Instant.parse(c.getMetadata().getDeletionTimestamp());
                if (Duration.between(deleting, clock.instant()).compareTo(config.revokeGiveUpAfter()) < 0) {
                    events.warning(c, Reason.Revoked, "Could not revoke the tokens at Slack yet (" + e.error()
                            + "); retrying before the SlackUserConnection goes");
                    return DeleteControl.noFinalizerRemoval().rescheduleAfter(config.revokeRetryInterval());
                }
                events.warning(c, Reason.Revoked, "Gave up revoking the tokens after "
                        + config.revokeGiveUpAfter().toSeconds() + " s (" + e.error() + "); the access token stays "
                        + "valid until it expires and the refresh token until revoked in Slack (revoke the app's "
                        + "tokens from the Slack admin pages)");
                LOG.warnf("Deleted %s without revoking its tokens: %s", who, e.getMessage());
            }
        }
        if (policy == DeletionPolicy.Retain) {
            if (workload.release(c)) {
                LOG.infof("Deleted %s: kept Secret %s with its last access token (deletionPolicy Retain)", who,
                        WorkloadSecrets.name(c));
            }
        }
        refresher.forget(c, storeState);
        store.delete(c.getMetadata().getUid());
        return DeleteControl.defaultDelete();
    }
}
