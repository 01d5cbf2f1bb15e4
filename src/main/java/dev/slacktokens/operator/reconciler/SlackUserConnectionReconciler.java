package dev.slacktokens.operator.reconciler;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

import dev.slacktokens.operator.api.v1alpha1.Reason;
import dev.slacktokens.operator.api.v1alpha1.SlackUserConnection;
import dev.slacktokens.operator.api.v1alpha1.SlackUserConnectionStatus;
import dev.slacktokens.operator.api.v1alpha1.SpecProblems;
import dev.slacktokens.operator.config.OperatorConfig;
import dev.slacktokens.operator.oauth.AuthorizeLinks;
import dev.slacktokens.operator.oauth.SlackApps;
import dev.slacktokens.operator.store.Labels;
import dev.slacktokens.operator.store.StoredTokens;
import dev.slacktokens.operator.store.TokenStore;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;

/**
 * Keeps a connection's status and workload Secret in line with its token store. Watches connections and only the
 * Secrets it owns (label-selected): the token store in the operator namespace and the workload Secrets.
 */
@ControllerConfiguration(name = SlackUserConnectionReconciler.NAME)
public class SlackUserConnectionReconciler implements Reconciler<SlackUserConnection> {

    public static final String NAME = "slackuserconnection";
    /** A referenced Secret is not watched: look again this often while it is missing. */
    static final Duration RECHECK_MISSING_SECRET = Duration.ofMinutes(1);

    private final TokenStore store;
    private final AuthorizeLinks links;
    private final SlackApps apps;
    private final EventRecorder events;
    private final OperatorConfig config;
    private final Clock clock;

    SlackUserConnectionReconciler(TokenStore store, AuthorizeLinks links, SlackApps apps, EventRecorder events,
            OperatorConfig config, Clock clock) {
        this.store = store;
        this.links = links;
        this.apps = apps;
        this.events = events;
        this.config = config;
        this.clock = clock;
    }

    @Override
    public List<EventSource<?, SlackUserConnection>> prepareEventSources(EventSourceContext<SlackUserConnection> ctx) {
        return SecretSources.of(ctx, config.namespace());
    }

    @Override
    public UpdateControl<SlackUserConnection> reconcile(SlackUserConnection c, Context<SlackUserConnection> ctx) {
        String before = Serialization.asJson(c.getStatus());
        SlackUserConnectionStatus status = c.getStatus() != null ? c.getStatus() : new SlackUserConnectionStatus();
        c.setStatus(status);
        status.setObservedGeneration(c.getMetadata().getGeneration());
        String previousReason;
        Duration recheck = links.recheckAfter();

        List<String> problems = SpecProblems.of(c.getSpec());
        String appProblem = problems.isEmpty() ? appProblem(c) : null;
        Optional<StoredTokens> tokens = ctx.getSecondaryResource(Secret.class, SecretSources.STORE).flatMap(TokenStore::parse)
                .filter(t -> c.getMetadata().getUid().equals(t.connectionUid()));
        if (!problems.isEmpty() || appProblem != null) {
            String message = problems.isEmpty() ? appProblem : String.join("; ", problems);
            previousReason = ReadyCondition.set(status, false, Reason.InvalidSpec, message, generation(c), now());
            status.setAuthorizeUrl(null);
            recheck = appProblem != null ? RECHECK_MISSING_SECRET : null;
        } else if (tokens.isEmpty()) {
            ConnectionStatus.clearIdentity(status);
            status.setAuthorizeUrl(links.linkFor(c, status.getAuthorizeUrl()));
            previousReason = ReadyCondition.set(status, false, Reason.AwaitingAuthorization,
                    "Waiting for a Slack user to authorize: open the link in status.authorizeUrl", generation(c),
                    now());
        } else {
            project(c, ctx, tokens.get());
            ConnectionStatus.showIdentity(status, c, tokens.get());
            List<String> missing = ConnectionStatus.missingScopes(c, tokens.get());
            String where = " is in Secret " + ConnectionStatus.secretName(c);
            if (missing.isEmpty()) {
                status.setAuthorizeUrl(null);
                previousReason = ReadyCondition.set(status, true, Reason.Authorized,
                        "Token of " + ConnectionStatus.who(tokens.get()) + where, generation(c), now());
            } else {
                status.setAuthorizeUrl(links.linkFor(c, status.getAuthorizeUrl()));
                previousReason = ReadyCondition.set(status, false, Reason.MissingScopes, "Slack did not grant "
                        + String.join(",", missing) + "; the token of " + ConnectionStatus.who(tokens.get()) + where
                        + " lacks them. Open status.authorizeUrl and grant them.", generation(c), now());
            }
        }
        recordTransition(c, previousReason);
        UpdateControl<SlackUserConnection> control = Objects.equals(before, Serialization.asJson(status))
                ? UpdateControl.noUpdate() : UpdateControl.patchStatus(c);
        return recheck == null ? control : control.rescheduleAfter(recheck);
    }

    private String appProblem(SlackUserConnection c) {
        try {
            apps.credentials(c);
            return null;
        } catch (SlackApps.UnusableAppException e) {
            return e.getMessage();
        }
    }

    /** Writes the workload Secret if it differs from the store, and removes ones left behind by a rename. */
    private void project(SlackUserConnection c, Context<SlackUserConnection> ctx, StoredTokens tokens) {
        String name = ConnectionStatus.secretName(c);
        Secret desired = store.desiredWorkloadSecret(c, name, tokens);
        Set<Secret> owned = ctx.getSecondaryResources(Secret.class);
        Secret live = owned.stream().filter(s -> isWorkload(s) && name.equals(s.getMetadata().getName())).findFirst()
                .orElse(null);
        if (!TokenStore.satisfies(live, desired)) {
            store.applyWorkloadSecret(desired);
        }
        owned.stream().filter(s -> isWorkload(s) && !name.equals(s.getMetadata().getName()))
                .forEach(store::deleteWorkloadSecret);
    }

    private static boolean isWorkload(Secret s) {
        return s.getMetadata().getLabels() != null
                && Labels.ROLE_WORKLOAD.equals(s.getMetadata().getLabels().get(Labels.ROLE));
    }

    private void recordTransition(SlackUserConnection c, String previousReason) {
        ReadyCondition.get(c.getStatus()).filter(now -> !now.getReason().equals(previousReason)).ifPresent(now -> {
            Reason reason = Reason.valueOf(now.getReason());
            if ("True".equals(now.getStatus()) || reason == Reason.AwaitingAuthorization) {
                events.normal(c, reason, now.getMessage());
            } else {
                events.warning(c, reason, now.getMessage());
            }
        });
    }

    private static Long generation(SlackUserConnection c) {
        return c.getMetadata().getGeneration();
    }

    private java.time.Instant now() {
        return clock.instant();
    }
}
