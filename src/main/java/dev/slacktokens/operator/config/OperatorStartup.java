package dev.slacktokens.operator.config;

import java.time.Clock;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.javaoperatorsdk.operator.Operator;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import org.jboss.logging.Logger;

/**
 * Starts and stops the Java Operator SDK unless this process is the standalone Slack simulator. QOSDK's own
 * auto-start is a build-time switch, so the choice is made here at run time ({@code slack-operator.enabled}).
 */
@ApplicationScoped
public class OperatorStartup {

    private static final Logger LOG = Logger.getLogger(OperatorStartup.class);

    private volatile Operator started;

    void onStart(@Observes StartupEvent event, OperatorConfig config, Instance<Operator> operator) {
        if (!config.enabled()) {
            LOG.info("Operator disabled (slack-operator.enabled=false): not connecting to Kubernetes");
            return;
        }
        if (config.publicUrl().isEmpty()) {
            throw new IllegalStateException("slack-operator.public-url (SLACK_OPERATOR_PUBLIC_URL) is not set: the "
                    + "operator needs the external URL of its /oauth endpoints to publish authorize links");
        }
        Operator op = operator.get();
        op.start();
        started = op;
    }

    void onStop(@Observes ShutdownEvent event, Instance<LeaseLoss> leaseLoss, Instance<LeaderLease> lease,
            Instance<KubernetesClient> client, Clock clock) {
        Operator op = started;
        if (op != null) {
            leaseLoss.get().shuttingDown();
            op.stop();
            // JOSDK stops leading without releasing the Lease: give it up, so a follower takes over at once instead
            // of after the lease duration. A failure only costs that wait. Operator.stop() closed the client it
            // used, so this one call gets its own client with the same configuration.
            try (KubernetesClient releasing = new KubernetesClientBuilder()
                    .withConfig(client.get().getConfiguration()).build()) {
                if (lease.get().release(releasing, clock.instant())) {
                    LOG.infof("Released the Lease %s/%s", lease.get().namespace(), lease.get().name());
                }
            } catch (RuntimeException e) {
                LOG.warnf("Could not release the Lease (a follower takes over when it expires): %s", e.getMessage());
            }
        }
    }
}
