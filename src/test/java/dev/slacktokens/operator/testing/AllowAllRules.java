package dev.slacktokens.operator.testing;

import java.util.function.Consumer;

import io.fabric8.kubernetes.api.model.authorization.v1.ResourceRuleBuilder;
import io.fabric8.kubernetes.api.model.authorization.v1.SelfSubjectRulesReviewBuilder;
import io.quarkus.test.kubernetes.client.KubernetesServer;

/**
 * JOSDK checks its Lease permissions with a SelfSubjectRulesReview before leader election; the CRUD mock server
 * cannot answer it, so this canned answer allows everything.
 */
public class AllowAllRules implements Consumer<KubernetesServer> {

    @Override
    public void accept(KubernetesServer server) {
        server.expect().post().withPath("/apis/authorization.k8s.io/v1/selfsubjectrulesreviews")
                .andReturn(201, new SelfSubjectRulesReviewBuilder().withNewStatus()
                        .addToResourceRules(new ResourceRuleBuilder().addToApiGroups("*").addToResources("*")
                                .addToVerbs("*").build())
                        .withIncomplete(false).endStatus().build())
                .always();
    }
}
