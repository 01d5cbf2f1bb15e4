package dev.slacktokens.operator.config;

import java.time.Clock;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;

import dev.slacktokens.operator.slack.SlackClient;
import dev.slacktokens.operator.slack.SlackRateLimiter;

/** The Slack client for the configured Slack (real, GovSlack or the simulator). */
public class SlackClientProducer {

    @Produces
    @ApplicationScoped
    SlackClient slackClient(OperatorConfig config, Clock clock) {
        OperatorConfig.Slack slack = config.slack();
        return SlackClient.create(slack.baseUrl(), slack.connectTimeout(), slack.readTimeout(),
                new SlackRateLimiter(slack.oauthAccessPerMinute(), clock));
    }
}
