package dev.slacktokens.operator.config;

import java.util.UUID;

import jakarta.enterprise.event.Event;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfigurationBuilder;
import org.jboss.logging.Logger;

/**
 * Leader election on a Lease, so that exactly one replica refreshes tokens; a replica that loses the Lease exits at
 * once ({@link LeaseLoss}). Active in the profiles of {@code quarkus.operator-sdk.activate-leader-election-for-profiles};
 * the HTTP endpoints serve on every replica.
 */
public class LeaderElectionProducer {

    private static final Logger LOG = Logger.getLogger(LeaderElectionProducer.class);

    /**
     * Halt, not exit: no shutdown hooks, so no in-flight reconciliation gets to finish a Slack call as a stale leader
     * (the new leader may be resuming the same refresh).
     */
    @Produces
    @Singleton
    ProcessExit processExit() {
        return status -> Runtime.getRuntime().halt(status);
    }

    @Produces
    @Singleton
    LeaseLoss leaseLoss(ProcessExit exit) {
        return new LeaseLoss(exit::exit);
    }

    @Produces
    @Singleton
    LeaderLease leaderLease(OperatorConfig config) {
        var le = config.leaderElection();
        // Unique even for two processes on one host (a Pod name is unique, but local runs share a host name).
        String identity = le.identity().orElseGet(() -> hostName() + "-" + UUID.randomUUID().toString().substring(0, 8));
        return new LeaderLease(le.leaseNamespace().orElse(config.namespace()), le.leaseName(), identity);
    }

    @Produces
    @Singleton
    LeaderElectionConfiguration leaderElection(OperatorConfig config, LeaderLease lease, LeaseLoss leaseLoss,
            Event<LeadershipAcquired> leading) {
        var le = config.leaderElection();
        String identity = lease.identity();
        return LeaderElectionConfigurationBuilder.aLeaderElectionConfiguration(lease.name())
                .withLeaseNamespace(lease.namespace())
                .withIdentity(identity)
                .withLeaseDuration(le.leaseDuration())
                .withRenewDeadline(le.renewDeadline())
                .withRetryPeriod(le.retryPeriod())
                .withLeaderCallbacks(new LeaderCallbacks(() -> {
                    LOG.infof("%s now leads: reconciling", identity);
                    // Interrupted refreshes first (JournalResumer): Slack's grace period for them is running.
                    leading.fireAsync(new LeadershipAcquired(identity));
                },
                        leaseLoss::onStopLeading, leader -> LOG.infof("Leader is %s", leader)))
                .build();
    }

    private static String hostName() {
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.net.UnknownHostException e) {
            return "operator";
        }
    }
}
