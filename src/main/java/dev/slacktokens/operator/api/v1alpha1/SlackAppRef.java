package dev.slacktokens.operator.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

/** A Slack app of the connection's own. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class SlackAppRef {

    @Required
    @Size(min = 3, max = 64)
    @Pattern(Patterns.CLIENT_ID)
    @JsonPropertyDescription("The Slack app's Client ID (Basic Information page), e.g. 1234567890.0987654321.")
    private String clientId;

    @Required
    @JsonPropertyDescription("The Secret key holding the Slack app's Client Secret, in this namespace.")
    private SecretKeyRef clientSecretRef;

    public SlackAppRef() {
    }

    public SlackAppRef(String clientId, SecretKeyRef clientSecretRef) {
        this.clientId = clientId;
        this.clientSecretRef = clientSecretRef;
    }

    public String getClientId() {
        return clientId;
    }

    public void setClientId(String clientId) {
        this.clientId = clientId;
    }

    public SecretKeyRef getClientSecretRef() {
        return clientSecretRef;
    }

    public void setClientSecretRef(SecretKeyRef clientSecretRef) {
        this.clientSecretRef = clientSecretRef;
    }
}
