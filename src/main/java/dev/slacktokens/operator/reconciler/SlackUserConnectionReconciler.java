package dev.slacktokens.operator.reconciler;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import jakarta.inject.Inject;

import dev.slacktokens.operator.api.v1alpha1.SlackUserConnection;
import dev.slacktokens.operator.api.v1alpha1.SlackUserConnectionStatus;
import dev.slacktokens.operator.config.OperatorConfig;
import dev.slacktokens.operator.connection.AuthorizeLinks;
import dev.slacktokens.operator.store.StoreState;
import dev.slacktokens.operator.store.TokenStore;
import dev.slacktokens.operator.store.WorkloadSecretWriter;
import dev.slacktokens.operator.store.WorkloadSecrets;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;

/**
 * A pass is read → decide → act: read the connection, its token store (from the cache of labelled Secrets) and its
 * Slack app; {@link Decision#decide} (pure) returns a {@link Plan}; {@link Actions} carries out a plan that changes
 * the store, and the pass decides again from the result until a final plan; then the workload Secret is projected,
 * {@link StatusBuilder} builds the status, and it is patched if it changed, with an Event on each transition and
 * each refresh. Write order: token store → workload Secret → status → Event. Deletion: {@link ConnectionDeletion}.
 * Annotations are not spec changes, so every event is processed (not only generation changes).
 */
@ControllerConfiguration(name = SlackUserConnectionReconciler.NAME, generationAwareEventProcessing = false,
        informer = @Informer(itemStore = LeanCache.Connections.class))
public class SlackUserConnectionReconciler implements Reconciler<SlackUserConnection>, Cleaner<SlackUserConnection> {

    public static final String NAME = "slackuserconnection";
    /** After JOSDK's retries of a failing pass are spent, the next try comes this much later. */
    static final Duration RETRY_AFTER_EXHAUSTED = Duration.ofMinutes(1);
    /**
     * The longest wait between two of the Operator SDK's retries of a failing pass (its default: 2 s growing by 1.5,
     * five attempts, so about 10 s): Ready stays True on ReconcileError only while the token outlives it.
     */
    static final Duration RETRY_GAP = Duration.ofSeconds(15);
    /** Actions per pass: each pair is tried once, so a pass that has not settled by then has a bug, not a loop. */
    static final int MAX_ACTIONS = 6;

    @Inject
    TokenStore store;
    @Inject
    Observer observer;
    @Inject
    Actions actions;
    @Inject
    WorkloadSecretWriter workload;
    @Inject
    ConnectionDeletion deletion;
    @Inject
    AuthorizeLinks links;
    @Inject
    Transitions transitions;
    @Inject
    OperatorConfig config;
    @Inject
    Clock clock;

    @Override
    public List<EventSource<?, SlackUserConnection>> prepareEventSources(EventSourceContext<SlackUserConnection> ctx) {
        return SecretSources.of(ctx, config.namespace());
    }

    @Override
    public UpdateControl<SlackUserConnection> reconcile(SlackUserConnection c, Context<SlackUserConnection> ctx) {
        Decision.Observed seen = observer.observe(c, ctx);
        Decision.Pass pass = Decision.Pass.start();
        Plan plan = Decision.decide(seen, pass, clock.instant());
        for (int n = 0; plan instanceof Plan.Action action; n++) {
            if (n == MAX_ACTIONS) {
                throw new IllegalStateException("the pass did not settle after " + n + " actions (last: " + plan + ")");
            }
            Actions.Result result = actions.run(c, action, seen, pass, clock.instant());
            seen = result.seen();
            pass = result.pass();
            plan = result.end().isPresent() ? result.end().get() : Decision.decide(seen, pass, clock.instant());
        }
        Plan.Final end = (Plan.Final) plan;
        Optional<String> taken = project(c, ctx, end);
        if (taken.isPresent()) {
            end = new Plan.Invalid(taken.get(), Optional.of(clock.instant().plus(Decision.RECHECK)));
        }
        long authorizations = seen.store().map(StoreState::authorizations).orElse(0L);
        Optional<String> link = StatusBuilder.publishesLink(end) ? Optional.of(links.linkFor(c,
                c.getStatus() == null ? null : c.getStatus().getAuthorizeUrl(), authorizations)) : Optional.empty();
        SlackUserConnectionStatus next = StatusBuilder.build(c, end, pass, link,
                config.slack().oauthAccessPerMinute(), clock.instant());
        transitions.record(c, next);
        boolean changed = !Objects.equals(Serialization.asJson(c.getStatus()), Serialization.asJson(next));
        c.setStatus(next);
        UpdateControl<SlackUserConnection> control = changed ? UpdateControl.patchStatus(c) : UpdateControl.noUpdate();
        // The failsafe: whatever the plan says, look again within the resync interval.
        Duration resync = config.resyncInterval();
        Duration requeue = end.lookAgainAt().map(t -> RefreshPolicy.waitUntil(clock.instant(), t))
                .filter(d -> d.compareTo(resync) < 0).orElse(resync);
        return control.rescheduleAfter(requeue);
    }

    /**
     * A pass that threw (an API server error, a token store that refused a refreshed pair) is shown, not swallowed:
     * Ready keeps its status while the token is still valid, with reason ReconcileError and what failed. JOSDK
     * retries with backoff; once its retries are spent, the connection is looked at again after
     * {@link #RETRY_AFTER_EXHAUSTED} instead of being left alone until the next event.
     */
    @Override
    public ErrorStatusUpdateControl<SlackUserConnection> updateErrorStatus(SlackUserConnection c,
            Context<SlackUserConnection> ctx, Exception e) {
        boolean last = ctx.getRetryInfo().map(r -> r.isLastAttempt()).orElse(false);
        String message = "Reconciliation failed (" + ReconcileErrors.describe(e) + "); "
                + (last ? "retries spent, next try in " + RETRY_AFTER_EXHAUSTED.toSeconds() + " s" : "retrying");
        SlackUserConnectionStatus next = StatusBuilder.failed(c, message, last ? RETRY_AFTER_EXHAUSTED : RETRY_GAP,
                clock.instant());
        transitions.record(c, next);
        c.setStatus(next);
        ErrorStatusUpdateControl<SlackUserConnection> control = ErrorStatusUpdateControl.patchStatus(c);
        return last ? control.withNoRetry().rescheduleAfter(RETRY_AFTER_EXHAUSTED) : control;
    }

    @Override
    public DeleteControl cleanup(SlackUserConnection c, Context<SlackUserConnection> ctx) {
        // The store as it is now (a cached copy may predate the last refresh, whose tokens must be revoked too).
        DeleteControl control = deletion.cleanup(c, store.fetch(c.getMetadata().getUid()));
        if (control.isRemoveFinalizer()) {
            transitions.forget(c);
        }
        return control;
    }

    /** Projects the workload Secret of a final plan; returns why not when its name is taken. */
    private Optional<String> project(SlackUserConnection c, Context<SlackUserConnection> ctx, Plan.Final end) {
        Optional<Secret> desired = Optional.empty();
        if (end instanceof Plan.Project p) {
            desired = Optional.of(WorkloadSecrets.desired(c, p.tokens()));
        } else if (end instanceof Plan.AwaitConsent p && p.store().flatMap(StoreState::dead).isPresent()) {
            desired = Optional.of(WorkloadSecrets.withoutTokens(c, p.store().get()));
        }
        return desired.flatMap(d -> workload.project(c, d, ctx.getSecondaryResources(Secret.class)));
    }
}
