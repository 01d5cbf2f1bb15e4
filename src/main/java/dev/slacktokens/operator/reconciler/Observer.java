package dev.slacktokens.operator.reconciler;

import java.util.List;
import java.util.Optional;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import dev.slacktokens.operator.api.v1alpha1.SlackUserConnection;
import dev.slacktokens.operator.api.v1alpha1.SpecProblems;
import dev.slacktokens.operator.config.OperatorConfig;
import dev.slacktokens.operator.connection.AuthorizeLinks;
import dev.slacktokens.operator.connection.SlackApps;
import dev.slacktokens.operator.store.Labels;
import dev.slacktokens.operator.store.StoreCodec;
import dev.slacktokens.operator.store.StoreState;
import dev.slacktokens.operator.store.TokenStore;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.reconciler.Context;

/** The read step of a pass: what {@link Decision#decide} needs, from the spec, the Slack app and the token store. */
@ApplicationScoped
class Observer {

    @Inject
    TokenStore store;
    @Inject
    SlackApps apps;
    @Inject
    AuthorizeLinks links;
    @Inject
    OperatorConfig config;
    @Inject
    TokenRefresher refresher;

    Decision.Observed observe(SlackUserConnection c, Context<SlackUserConnection> ctx) {
        List<String> problems = SpecProblems.of(c.getSpec());
        Decision.App app = new Decision.App(Optional.empty(), Optional.empty());
        if (problems.isEmpty()) {
            try {
                app = new Decision.App(Optional.of(apps.credentials(c)), Optional.empty());
            } catch (SlackApps.UnusableAppException e) {
                app = new Decision.App(Optional.empty(), Optional.of(e.getMessage()));
            }
        }
        if (c.getMetadata().getNamespace().equals(config.namespace())) {
            problems = List.of("SlackUserConnections are not allowed in the operator's own namespace ("
                    + config.namespace() + "), where the token stores live; create it in a team namespace");
        }
        String uid = c.getMetadata().getUid();
        Optional<StoreState> cached = ctx.getSecondaryResource(Secret.class, SecretSources.STORE)
                .filter(s -> uid.equals(s.getMetadata().getLabels().get(Labels.CONNECTION_UID)))
                .map(StoreCodec::decode);
        // Slack exchanges a token once: decide "not imported yet" from the API server, not from a cache that may not
        // have seen the store the last pass wrote.
        Optional<StoreState> current = cached.isEmpty() && c.getSpec().getImportFrom() != null ? store.fetch(uid)
                : cached;
        return new Decision.Observed(c, problems, app, current, config.refreshBefore(), links.recheckAfter(),
                refresher.parkedPairs(uid));
    }
}
