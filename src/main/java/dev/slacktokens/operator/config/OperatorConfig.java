package dev.slacktokens.operator.config;

import java.net.URI;
import java.time.Duration;
import java.util.Optional;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/**
 * The operator's own settings, all under {@code slack-operator.*} (environment: {@code SLACK_OPERATOR_*}).
 * Documented in docs/operations.md.
 */
@ConfigMapping(prefix = "slack-operator")
public interface OperatorConfig {

    /**
     * Whether this process runs the operator (reconciler and OAuth endpoints). Off in the standalone simulator.
     */
    @WithDefault("true")
    boolean enabled();

    /**
     * The externally reachable base URL of this operator's HTTP endpoints (through the Ingress), e.g.
     * {@code https://slack-tokens.example.com}. Authorize links and the default redirect URI
     * ({@code <publicUrl>/oauth/callback}) are built from it. Required when the operator runs.
     */
    Optional<URI> publicUrl();

    /** The operator's own namespace: token stores and the state key live here. */
    @WithDefault("slack-token-operator")
    String namespace();

    /** Name of the Secret (in {@link #namespace()}) holding the key that signs OAuth state and links. */
    @WithDefault("slack-token-operator-state-key")
    String stateKeySecret();

    /** How long a published authorize link stays valid; the reconciler re-signs it when half is used. */
    @WithDefault("7d")
    Duration authorizeLinkValidity();

    /** Default {@code spec.refreshBefore}: how long before expiry a rotating token is refreshed (Slack SDKs: 2h). */
    @WithDefault("2h")
    Duration refreshBefore();

    /**
     * The failsafe: every connection is reconciled again at least this often, whatever happened in the last pass (an
     * exception, a lost event), so none is left unattended until its next refresh.
     */
    @WithDefault("10m")
    Duration resyncInterval();

    /**
     * How long a refreshed pair that the token store refused to take (API server error, timeout, webhook) is retried
     * in place before the pass fails; the pair is kept in memory and written first by the next pass.
     */
    @WithDefault("30s")
    Duration storeWriteRetry();

    /**
     * On SIGTERM, how long refreshes in flight are waited for before the operator stops; the Lease is released only if
     * none is left. Keep it below the Pod's terminationGracePeriodSeconds and above the Slack read timeout.
     */
    @WithDefault("20s")
    Duration shutdownDrain();

    /** Write Secrets with server-side apply (one field manager). Off only for the CRUD mock server in tests. */
    @WithDefault("true")
    boolean serverSideApply();

    Slack slack();

    LeaderElection leaderElection();

    Deletion deletion();

    /** What deleting a connection with deletionPolicy Revoke does when Slack is unreachable. */
    interface Deletion {
        /** How often revoking is retried while Slack fails. */
        @WithDefault("15s")
        Duration revokeRetryInterval();

        /** After this long (from the deletion request) the operator stops trying to revoke and lets the object go. */
        @WithDefault("10m")
        Duration revokeGiveUpAfter();
    }

    /** One refresher in the cluster: the replica holding this Lease reconciles; the others only serve HTTP. */
    interface LeaderElection {
        /** Name of the Lease (in {@link OperatorConfig#namespace()} unless {@link #leaseNamespace()} is set). */
        @WithDefault("slack-token-operator")
        String leaseName();

        /** Namespace of the Lease; default: the operator's namespace. */
        Optional<String> leaseNamespace();

        /** This replica's identity in the Lease; default: the host name plus a random suffix. */
        Optional<String> identity();

        @WithDefault("15s")
        Duration leaseDuration();

        @WithDefault("10s")
        Duration renewDeadline();

        @WithDefault("2s")
        Duration retryPeriod();
    }

    interface Slack {
        /**
         * Base URL of Slack: {@code https://slack.com}, {@code https://slack-gov.com} for GovSlack, or the
         * simulator's URL. Web API calls go to {@code <baseUrl>/api/<method>}, the consent page is
         * {@code <baseUrl>/oauth/v2/authorize}.
         */
        @WithDefault("https://slack.com")
        URI baseUrl();

        /** TCP connect timeout for Slack calls. */
        @WithDefault("5s")
        Duration connectTimeout();

        /** Read timeout for Slack calls; a timed-out call is a transient failure. */
        @WithDefault("15s")
        Duration readTimeout();

        /**
         * Client-side limit on {@code oauth.v2.access} calls (code exchanges and refreshes) per minute, shared by all
         * connections. Slack allows 600.
         */
        @WithDefault("600")
        int oauthAccessPerMinute();

        /** Client id of the default Slack app, used by connections without spec.slackApp. */
        Optional<String> clientId();

        /** Client secret of the default Slack app (set it from a Secret, e.g. SLACK_OPERATOR_SLACK_CLIENT_SECRET). */
        Optional<String> clientSecret();

        /** Signing secret of the default Slack app, to verify Slack events. */
        Optional<String> signingSecret();

        /**
         * The default Slack app's name as its users know it (e.g. the name in Slack's app settings), shown on the
         * confirmation page. Absent: the page shows the client id.
         */
        Optional<String> appDisplayName();
    }
}
