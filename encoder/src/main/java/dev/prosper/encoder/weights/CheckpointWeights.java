package dev.prosper.encoder.weights;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The weights of a Hugging Face checkpoint directory: either one {@code model.safetensors} or
 * shards listed by {@code model.safetensors.index.json}. Every shard's header is validated on open,
 * and every tensor the index names must be in its shard. Not thread-safe; close it when done.
 */
public final class CheckpointWeights implements AutoCloseable {

  public static final String SINGLE_FILE = "model.safetensors";
  public static final String INDEX_FILE = "model.safetensors.index.json";

  private final Path directory;
  private final List<SafetensorsFile> files;
  private final Map<String, SafetensorsFile> fileByTensor;
  private final Map<String, TensorInfo> tensors;

  private CheckpointWeights(
      Path directory, List<SafetensorsFile> files, Map<String, SafetensorsFile> fileByTensor) {
    this.directory = directory;
    this.files = files;
    this.fileByTensor = fileByTensor;
    Map<String, TensorInfo> tensors = new LinkedHashMap<>();
    fileByTensor.forEach((name, file) -> tensors.put(name, file.tensors().get(name)));
    this.tensors = Collections.unmodifiableMap(tensors);
  }

  /**
   * Opens the weights of a checkpoint directory.
   *
   * @throws IOException naming the directory or file when the weights are missing or invalid
   */
  public static CheckpointWeights open(Path directory) throws IOException {
    Path single = directory.resolve(SINGLE_FILE);
    Path index = directory.resolve(INDEX_FILE);
    List<SafetensorsFile> files = new ArrayList<>();
    Map<String, SafetensorsFile> fileByTensor = new LinkedHashMap<>();
    try {
      if (Files.isRegularFile(single)) {
        SafetensorsFile file = SafetensorsFile.open(single);
        files.add(file);
        file.tensors().keySet().forEach(name -> fileByTensor.put(name, file));
      } else if (Files.isRegularFile(index)) {
        openShards(directory, index, files, fileByTensor);
      } else {
        throw new NoSuchFileException(
            directory.toString(), null, "no " + SINGLE_FILE + " and no " + INDEX_FILE);
      }
    } catch (IOException | RuntimeException e) {
      for (SafetensorsFile file : files) {
        file.close();
      }
      throw e;
    }
    return new CheckpointWeights(
        directory, List.copyOf(files), Collections.unmodifiableMap(fileByTensor));
  }

  private static void openShards(
      Path directory,
      Path index,
      List<SafetensorsFile> files,
      Map<String, SafetensorsFile> fileByTensor)
      throws IOException {
    JsonNode weightMap;
    try {
      weightMap = new ObjectMapper().readTree(index.toFile()).get("weight_map");
    } catch (IOException e) {
      throw new IOException("invalid " + index + ": " + e.getMessage(), e);
    }
    if (weightMap == null || !weightMap.isObject() || weightMap.isEmpty()) {
      throw new IOException("invalid " + index + ": no weight_map of tensor name to shard file");
    }
    Map<String, SafetensorsFile> shards = new LinkedHashMap<>();
    for (var it = weightMap.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> entry = it.next();
      String shardName = entry.getValue().asText();
      Path shardPath = directory.resolve(shardName).normalize();
      if (!shardPath.getParent().equals(directory.normalize())) {
        throw new IOException(
            "invalid " + index + ": shard [" + shardName + "] is outside the checkpoint directory");
      }
      SafetensorsFile shard = shards.get(shardName);
      if (shard == null) {
        shard = SafetensorsFile.open(shardPath);
        shards.put(shardName, shard);
        files.add(shard);
      }
      if (!shard.tensors().containsKey(entry.getKey())) {
        throw new IOException(
            "invalid " + index + ": tensor [" + entry.getKey() + "] is not in shard " + shardName);
      }
      fileByTensor.put(entry.getKey(), shard);
    }
  }

  /** The directory the weights were read from. */
  public Path directory() {
    return directory;
  }

  /** Where each tensor lies, by name; unmodifiable. */
  public Map<String, TensorInfo> tensors() {
    return tensors;
  }

  /** Whether the checkpoint has a tensor of this name. */
  public boolean contains(String name) {
    return fileByTensor.containsKey(name);
  }

  /**
   * Reads a floating-point tensor as float32.
   *
   * @throws IllegalArgumentException naming the tensor and directory when it is absent
   */
  public FloatTensor readFloats(String name) throws IOException {
    SafetensorsFile file = fileByTensor.get(name);
    if (file == null) {
      throw new IllegalArgumentException(
          "checkpoint " + directory + " has no tensor [" + name + "]");
    }
    return file.readFloats(name);
  }

  @Override
  public void close() throws IOException {
    for (SafetensorsFile file : files) {
      file.close();
    }
  }
}
