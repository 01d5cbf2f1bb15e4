package dev.slacktokens.operator.reconciler;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;

import dev.slacktokens.operator.api.v1alpha1.DeletionPolicy;
import dev.slacktokens.operator.api.v1alpha1.Reason;
import dev.slacktokens.operator.api.v1alpha1.SlackUserConnection;
import dev.slacktokens.operator.config.OperatorConfig;
import dev.slacktokens.operator.slack.SlackApiException;
import dev.slacktokens.operator.slack.SlackClient;
import dev.slacktokens.operator.slack.SlackToken;
import dev.slacktokens.operator.store.StoredTokens;
import dev.slacktokens.operator.store.TokenStore;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
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
    private final TokenStore store;
    private final SlackClient slack;
    private final KubernetesClient client;
    private final EventRecorder events;
    private final OperatorConfig.Deletion config;
    private final Clock clock;

    ConnectionDeletion(TokenStore store, SlackClient slack, KubernetesClient client, EventRecorder events,
            OperatorConfig config, Clock clock) {
        this.store = store;
        this.slack = slack;
        this.client = client;
        this.events = events;
        this.config = config.deletion();
        this.clock = clock;
    }

    public DeleteControl cleanup(SlackUserConnection c, Optional<Secret> storeSecret) {
        String who = c.getMetadata().getNamespace() + "/" + c.getMetadata().getName();
        DeletionPolicy policy = Optional.ofNullable(c.getSpec().getDeletionPolicy()).orElse(DeletionPolicy.Revoke);
        Optional<StoredTokens> tokens = storeSecret.flatMap(TokenStore::parse);
        if (policy == DeletionPolicy.Revoke && tokens.isPresent()) {
            try {
                int revoked = 0;
                for (SlackToken token : all(tokens.get())) {
                    revoked += slack.revoke(token) ? 1 : 0;
                }
                LOG.infof("Deleted %s: revoked %d token(s) at Slack", who, revoked);
                events.normal(c, Reason.Revoked, "Revoked the connection's tokens at Slack (" + revoked
                        + " revoked, the rest already dead)");
            } catch (SlackApiException e) {
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
            String name = Optional.ofNullable(c.getSpec().getSecretName()).orElse(c.getMetadata().getName());
            var secret = client.secrets().inNamespace(c.getMetadata().getNamespace()).withName(name);
            if (secret.get() != null) {
                secret.edit(s -> {
                    s.getMetadata().setOwnerReferences(null);
                    return s;
                });
            }
            LOG.infof("Deleted %s: kept Secret %s with its last access token (deletionPolicy Retain)", who, name);
        }
        store.delete(c.getMetadata().getUid());
        return DeleteControl.defaultDelete();
    }

    private static List<SlackToken> all(StoredTokens tokens) {
        List<SlackToken> all = new ArrayList<>();
        tokens.refreshToken().ifPresent(all::add);
        all.add(tokens.accessToken());
        tokens.bot().ifPresent(b -> {
            b.refreshToken().ifPresent(all::add);
            all.add(b.accessToken());
        });
        return all;
    }
}
