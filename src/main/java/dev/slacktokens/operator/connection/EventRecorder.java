package dev.slacktokens.operator.connection;

import java.time.Clock;
import java.util.UUID;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.slacktokens.operator.api.v1alpha1.Reason;
import dev.slacktokens.operator.api.v1alpha1.SlackUserConnection;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import org.jboss.logging.Logger;

/** Kubernetes Events on a connection (what `kubectl describe suc` shows). Messages never carry a token. */
@ApplicationScoped
public class EventRecorder {

    private static final Logger LOG = Logger.getLogger(EventRecorder.class);

    @Inject
    KubernetesClient client;
    @Inject
    Clock clock;

    public void normal(SlackUserConnection connection, Reason reason, String message) {
        record(connection, "Normal", reason, message);
    }

    public void warning(SlackUserConnection connection, Reason reason, String message) {
        record(connection, "Warning", reason, message);
    }

    /**
     * The Slack identity behind a connection changed (a re-authorization by another user or workspace). Not a
     * Ready reason, so not in {@link Reason}: an Event-only reason.
     */
    public void identityChanged(SlackUserConnection connection, String message) {
        record(connection, "Warning", IDENTITY_CHANGED, message);
    }

    /** Event reason of {@link #identityChanged}. */
    public static final String IDENTITY_CHANGED = "IdentityChanged";

    private void record(SlackUserConnection connection, String type, Reason reason, String message) {
        record(connection, type, reason.name(), message);
    }

    private void record(SlackUserConnection connection, String type, String reason, String message) {
        var m = connection.getMetadata();
        String now = clock.instant().toString();
        var event = new EventBuilder().withNewMetadata()
                .withName(m.getName() + "." + UUID.randomUUID().toString().substring(0, 13).replace("-", ""))
                .withNamespace(m.getNamespace()).endMetadata()
                .withNewInvolvedObject().withApiVersion(HasMetadata.getApiVersion(SlackUserConnection.class))
                .withKind(HasMetadata.getKind(SlackUserConnection.class))
                .withName(m.getName()).withNamespace(m.getNamespace()).withUid(m.getUid())
                .withResourceVersion(m.getResourceVersion()).endInvolvedObject()
                .withType(type).withReason(reason).withMessage(message)
                .withNewSource().withComponent("slack-token-operator").endSource()
                .withFirstTimestamp(now).withLastTimestamp(now).withCount(1).build();
        try {
            client.v1().events().inNamespace(m.getNamespace()).resource(event).create();
        } catch (KubernetesClientException e) {
            // An Event is best effort: losing one must not fail the reconciliation that produced it.
            LOG.warnf("Could not record event %s on %s/%s: %s", reason, m.getNamespace(), m.getName(),
                    e.getStatus() == null ? e.getClass().getSimpleName() : e.getStatus().getReason());
        }
    }
}
