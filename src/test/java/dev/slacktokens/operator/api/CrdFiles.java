package dev.slacktokens.operator.api;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.utils.Serialization;

/** Reading the CRD, and the one normalisation applied to the generator's output before it is committed. */
final class CrdFiles {

    /** kubectl shows printer columns in CRD order; the generator sorts them by JSON path, so we set the order. */
    static final List<String> COLUMN_ORDER = List.of("Ready", "User", "Team", "Expires", "Age", "Message");

    static final String HEADER = "# Generated from the API classes in src/main/java/dev/slacktokens/operator/api/v1alpha1\n"
            + "# by the build (Fabric8 CRD generator via QOSDK); printer columns put in display order.\n"
            + "# Do not edit: change the classes and run ./mvnw verify -Dupdate-crd=true\n";

    private CrdFiles() {
    }

    static CustomResourceDefinition load(Path file) throws IOException {
        try (var in = Files.newInputStream(file)) {
            return Serialization.unmarshal(in, CustomResourceDefinition.class);
        }
    }

    /** The committed form of a generated CRD: columns in display order, serialized canonically. */
    @SuppressWarnings("deprecation")
    static String canonical(String generatedYaml) {
        CustomResourceDefinition crd = Serialization.unmarshal(generatedYaml, CustomResourceDefinition.class);
        crd.getSpec().getVersions().forEach(v -> {
            List<CustomResourceColumnDefinition> columns = new ArrayList<>(v.getAdditionalPrinterColumns());
            columns.sort(Comparator.comparingInt(c -> {
                int i = COLUMN_ORDER.indexOf(c.getName());
                return i < 0 ? Integer.MAX_VALUE : i;
            }));
            v.setAdditionalPrinterColumns(columns);
        });
        return HEADER + Serialization.asYaml(crd);
    }
}
