package dev.slacktokens.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * A Slack user OAuth token that the operator obtains (one browser consent), keeps fresh, and projects into a
 * Secret that workloads mount.
 */
@Group(SlackUserConnection.GROUP)
@Version(SlackUserConnection.VERSION)
@ShortNames("suc")
@AdditionalPrinterColumn(name = "Ready", type = AdditionalPrinterColumn.Type.STRING,
        jsonPath = ".status.conditions[?(@.type==\"Ready\")].status")
@AdditionalPrinterColumn(name = "User", type = AdditionalPrinterColumn.Type.STRING, jsonPath = ".status.user.id")
@AdditionalPrinterColumn(name = "Team", type = AdditionalPrinterColumn.Type.STRING, jsonPath = ".status.team.name")
// A string, not a date: kubectl renders a date column as an age, and a future time as "<invalid>".
@AdditionalPrinterColumn(name = "Expires", type = AdditionalPrinterColumn.Type.STRING,
        jsonPath = ".status.expiresAt")
@AdditionalPrinterColumn(name = "Age", type = AdditionalPrinterColumn.Type.DATE,
        jsonPath = ".metadata.creationTimestamp")
@AdditionalPrinterColumn(name = "Message", type = AdditionalPrinterColumn.Type.STRING, priority = 1,
        jsonPath = ".status.conditions[?(@.type==\"Ready\")].message")
public class SlackUserConnection extends CustomResource<SlackUserConnectionSpec, SlackUserConnectionStatus>
        implements Namespaced {

    public static final String GROUP = "slacktokens.dev";
    public static final String VERSION = "v1alpha1";

    @Override
    @JsonPropertyDescription("What to ask Slack for: scopes, the redirect, the Slack app, the expected identity and "
            + "where to write the token.")
    public SlackUserConnectionSpec getSpec() {
        return super.getSpec();
    }

    @Override
    @JsonPropertyDescription("What the operator observed: readiness, the authorized identity, granted scopes and "
            + "token expiry. Never contains a token.")
    public SlackUserConnectionStatus getStatus() {
        return super.getStatus();
    }
}
