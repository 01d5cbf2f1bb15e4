package dev.slacktokens.operator.config;

import java.time.Clock;
import java.time.Instant;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.javaoperatorsdk.operator.Operator;
import io.quarkus.runtime.ShutdownDelayInitiatedEvent;
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
    /** Whether the clean stop found no refresh in flight (null: not drained yet). */
    private volatile Boolean drained;

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

    /**
     * The clean stop (SIGTERM), first part: refreshes stop starting and those in flight are waited for (at most
     * {@code slack-operator.shutdown-drain}, inside the chart's {@code terminationGracePeriodSeconds}), and the journal
     * resumer stops. This runs on Quarkus's pre-shutdown event, while the HTTP clients still work: by the time
     * {@link ShutdownEvent} is observed, Quarkus has already closed the REST client's connections and a Slack call in
     * flight would fail (quarkusio/quarkus#39254), leaving its outcome unknown.
     */
    void onShutdownStarting(@Observes ShutdownDelayInitiatedEvent event, Instance<LeaseLoss> leaseLoss,
            Instance<Drainable> inFlight, OperatorConfig config, Clock clock) {
        if (started != null) {
            drain(leaseLoss, inFlight, config, clock);
        }
    }

    private synchronized void drain(Instance<LeaseLoss> leaseLoss, Instance<Drainable> inFlight, OperatorConfig config,
            Clock clock) {
        if (drained != null) {
            return;
        }
        // A Lease lost during the drain still halts the process (LeaseLoss): a refresh in flight must not finish
        // while another replica may lead. Only the operator's own stop, after the drain, is not a loss.
        Instant deadline = clock.instant().plus(config.shutdownDrain());
        boolean all = true;
        for (Drainable d : inFlight) {
            all &= d.drain(deadline);
        }
        drained = all;
        leaseLoss.get().shuttingDown();
        if (all) {
            LOG.info("Stopping: no refresh in flight");
        }
    }

    /**
     * The clean stop, second part: the operator stops, and only then is the Lease released, so that no Slack call
     * leaves this process after another replica may lead. If a refresh was still in flight at the drain's bound, the
     * Lease is not released: the next leader waits for it to expire.
     */
    void onStop(@Observes ShutdownEvent event, Instance<LeaseLoss> leaseLoss, Instance<LeaderLease> lease,
            Instance<KubernetesClient> client, Instance<Drainable> inFlight, OperatorConfig config, Clock clock) {
        Operator op = started;
        if (op != null) {
            drain(leaseLoss, inFlight, config, clock);
            op.stop();
            if (!drained) {
                LOG.warnf("Refreshes were still in flight after %s s; the Lease is left to expire so that no other "
                        + "replica leads while their Slack calls may land (their journals stay open and the next leader "
                        + "resumes them)", config.shutdownDrain().toSeconds());
                return;
            }
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
