package dev.slacktokens.operator.config;

import java.net.URI;
import java.time.Duration;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;

/** The operator's own settings, all under {@code slack-operator.*} (environment: {@code SLACK_OPERATOR_*}). */
@ConfigMapping(prefix = "slack-operator")
public interface OperatorConfig {

    /**
     * Whether this process runs the operator (reconciler and OAuth endpoints). Off in the standalone simulator.
     */
    @WithDefault("true")
    boolean enabled();

    Slack slack();

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
    }
}
