package dev.prosper.plugin;

import com.carrotsearch.randomizedtesting.annotations.Name;
import com.carrotsearch.randomizedtesting.annotations.ParametersFactory;
import org.opensearch.test.rest.yaml.ClientYamlTestCandidate;
import org.opensearch.test.rest.yaml.OpenSearchClientYamlSuiteTestCase;

/**
 * Runs every YAML file under {@code rest-api-spec/test} against the node named by {@code
 * tests.rest.cluster}: a real OpenSearch node with the PROSPER plugin zip installed, started by the
 * build (see yaml-rest-test/pom.xml).
 */
public class ProsperClientYamlTestSuiteIT extends OpenSearchClientYamlSuiteTestCase {

  public ProsperClientYamlTestSuiteIT(@Name("yaml") ClientYamlTestCandidate testCandidate) {
    super(testCandidate);
  }

  @ParametersFactory
  public static Iterable<Object[]> parameters() throws Exception {
    return OpenSearchClientYamlSuiteTestCase.createParameters();
  }
}
