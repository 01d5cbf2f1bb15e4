package dev.slacktokens.operator.reconciler;

import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.ObservesAsync;
import jakarta.inject.Inject;

import dev.slacktokens.operator.api.v1alpha1.SlackUserConnection;
import dev.slacktokens.operator.config.Drainable;
import dev.slacktokens.operator.config.LeadershipAcquired;
import dev.slacktokens.operator.connection.SlackApps;
import dev.slacktokens.operator.store.RefreshJournal;
import dev.slacktokens.operator.store.StoreState;
import dev.slacktokens.operator.store.TokenPair;
import dev.slacktokens.operator.store.TokenStore;
import io.fabric8.kubernetes.client.KubernetesClient;
import org.jboss.logging.Logger;

/**
 * First thing on taking the Lease: resume every open refresh journal (a refresh the previous leader started and
 * never recorded the answer of), and every journal in doubt whose next try is due (an answer that did not say whether
 * Slack rotated the pair), before the controller works through all connections in informer order. Slack keeps a
 * used refresh token valid only for a short, unpublished grace period, so these refreshes cannot wait. Running next to
 * the controller is safe: the refresher allows one request per refresh token in this process, and every store write
 * is compare-and-set.
 */
@ApplicationScoped
public class JournalResumer implements Drainable {

    private static final Logger LOG = Logger.getLogger(JournalResumer.class);

    @Inject
    KubernetesClient client;
    @Inject
    TokenStore store;
    @Inject
    TokenRefresher refresher;
    @Inject
    SlackApps apps;
    @Inject
    Clock clock;
    /** Set by the clean stop: no further store is looked at. */
    private volatile boolean stopping;
    /** Set while a resume sweep runs. */
    private final AtomicInteger running = new AtomicInteger();

    void onLeading(@ObservesAsync LeadershipAcquired event) {
        int resumed = resumeOpenJournals();
        if (resumed > 0) {
            LOG.infof("Resumed %d interrupted refresh(es) on taking the Lease", resumed);
        }
    }

    /** Resumes the open journals of every token store; returns how many refreshes were attempted. */
    public int resumeOpenJournals() {
        running.incrementAndGet();
        try {
            return sweep();
        } finally {
            running.decrementAndGet();
        }
    }

    /** The clean stop: the sweep looks at no further store; waits for the current one (the refresher drains too). */
    @Override
    public boolean drain(Instant deadline) {
        stopping = true;
        while (running.get() > 0 && clock.instant().isBefore(deadline)) {
            if (!TokenRefresher.pauseFor(java.time.Duration.ofMillis(50))) {
                break;
            }
        }
        return running.get() == 0;
    }

    private int sweep() {
        int attempted = 0;
        for (StoreState s : store.list()) {
            if (stopping) {
                break;
            }
            try {
                attempted += resume(s) ? 1 : 0;
            } catch (RuntimeException e) {
                // The controller's own pass resumes it too; one store must not stop the others.
                LOG.warnf("Could not resume the refresh of %s now (%s); the controller will", s.owner(),
                        e.getClass().getSimpleName());
            }
        }
        return attempted;
    }

    private boolean resume(StoreState s) {
        for (TokenPair pair : TokenPair.values()) {
            Instant now = clock.instant();
            if (!s.currentJournal(pair).filter(j -> j.open() || (j.inDoubtSince().isPresent()
                    && !j.retryAt().orElse(now).isAfter(now))).isPresent()) {
                continue;
            }
            SlackUserConnection c = client.resources(SlackUserConnection.class).inNamespace(s.owner().namespace())
                    .withName(s.owner().name()).get();
            if (c == null || c.getMetadata().getDeletionTimestamp() != null
                    || !c.getMetadata().getUid().equals(s.owner().uid())) {
                return false;
            }
            try {
                refresher.resume(c, s, pair, apps.credentials(c));
            } catch (SlackApps.UnusableAppException e) {
                return false;
            }
            // The store moved on; the controller's pass takes the other pair (if it is open too) from there.
            return true;
        }
        return false;
    }
}
