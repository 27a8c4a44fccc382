#!/usr/bin/env bash
# Builds the small real artefacts the YAML/REST tests use and installs them into a node:
#   test-models.sh <training-job.jar> <work-dir> <node-dir>
# - test-model: the minilm-l6 backbone trained for a few steps on a generated catalogue (the tests
#   are about plumbing, not quality). Rebuilt only when the training job changes.
# - corrupted-model: the same artefact with bytes of its weights overwritten (checksum mismatch).
# - parity/: texts and what `training-job.jar encode` prints for them, for the parity test.
# - doc-l2-model, both-l2-model: the test artefact with its head's normalization set to doc-l2 and
#   both-l2 (same weights), and parity/normalization/run.tsv: `evaluate`'s top 10 products for 20
#   queries of the generated catalogue with each, which the node must reproduce.
set -euo pipefail
jar=$1 work=$2 node=$3
java=("$JAVA_HOME/bin/java" -Xmx3g -Dai.djl.offline=true -jar "$jar")
stamp="$work/training-job.sha256"
sum=$(sha256sum "$jar" | cut -d' ' -f1)
if [[ ! -f "$work/test-model/prosper.json" || "$(cat "$stamp" 2>/dev/null)" != "$sum" ]]; then
  echo "test-models: training the test artefact (a few steps from minilm-l6)"
  rm -rf "$work" && mkdir -p "$work"
  "${java[@]}" sample-data --output "$work/data" --products 400 --queries 150 --seed 7 >/dev/null
  "${java[@]}" train --data "$work/data" --output "$work/run" --backbone minilm-l6 --epochs 1 \
    --batch-size 8 --max-steps-per-epoch 4 --validation-queries 16 --validation-corpus 200 \
    --query-top-k 16 --document-top-k 200 --seed 7 >"$work/train.log" 2>&1 || { tail -20 "$work/train.log"; exit 1; }
  cp -r "$work/run/artefact" "$work/test-model"
  cp -r "$work/test-model" "$work/corrupted-model"
  # Overwrite 64 bytes in the middle of the weights: same size, wrong checksum.
  size=$(stat -c %s "$work/corrupted-model/model.safetensors")
  printf '%064d' 0 | dd of="$work/corrupted-model/model.safetensors" bs=1 seek=$((size / 2)) conv=notrunc status=none
  mkdir -p "$work/parity"
  cat >"$work/parity/texts.txt" <<'TEXTS'
9 ft. patio umbrella in navy
Husky 25 ft. tape measure HT-2500
garden hose 50 ft #2 heavy duty
Gartenschlauch 25 m grün – Bewässerung
ガーデンホース 20m 🌱 with nozzle
LED bulb 60W equivalent A19 soft white (4-pack)
TEXTS
  mapfile -t texts <"$work/parity/texts.txt"
  "${java[@]}" encode --model "$work/test-model" --mode document --json "${texts[@]}" >"$work/parity/document.jsonl" 2>>"$work/encode.log"
  "${java[@]}" encode --model "$work/test-model" --mode query --normalize --json "${texts[@]}" >"$work/parity/query.jsonl" 2>>"$work/encode.log"
  for variant in doc-l2 both-l2; do
    cp -r "$work/test-model" "$work/$variant-model"
    sed -i "s/\"normalization\" : \"query-l2\"/\"normalization\" : \"$variant\"/" "$work/$variant-model/prosper.json"
    grep -q "\"normalization\" : \"$variant\"" "$work/$variant-model/prosper.json"
  done
  "${java[@]}" evaluate --data "$work/data" --min-grade 3 --max-queries 20 --baselines none \
    --permutations 0 --run-depth 10 --device cpu \
    --model "doc-l2=$work/doc-l2-model" --model "both-l2=$work/both-l2-model" \
    --output "$work/parity/normalization" >"$work/evaluate.log" 2>&1 || { tail -20 "$work/evaluate.log"; exit 1; }
  echo "$sum" >"$stamp"
fi
# Hostile copies of the test artefact, each refused at PUT with a 400 naming the problem (before
# the node allocates anything sized by it): a config with 10^8 layers, a tokenizer id of 2*10^9, a
# max_length beyond the position embeddings, a weight that is not floating point. The files whose
# checksum the manifest records are re-sealed, so that the checksum is not what refuses them.
hostile() {
  rm -rf "$work/$1-model" && cp -r "$work/test-model" "$work/$1-model"
}
reseal() {
  local old new
  old=$(sha256sum "$work/test-model/$2" | cut -d' ' -f1)
  new=$(sha256sum "$work/$1-model/$2" | cut -d' ' -f1)
  sed -i "s/$old/$new/" "$work/$1-model/prosper.json"
  grep -q "$new" "$work/$1-model/prosper.json"
}
hostile layers
sed -i 's/"num_hidden_layers" : 6,/"num_hidden_layers" : 100000000,/' "$work/layers-model/prosper.json"
grep -q '"num_hidden_layers" : 100000000' "$work/layers-model/prosper.json"
hostile positions
sed -i 's/"max_length" : 64,/"max_length" : 4096,/' "$work/positions-model/prosper.json"
grep -q '"max_length" : 4096' "$work/positions-model/prosper.json"
hostile vocab-id
sed -i 's/"\[unused1\]": 2,/"[unused1]": 2000000000,/' "$work/vocab-id-model/tokenizer.json"
grep -q '"\[unused1\]": 2000000000' "$work/vocab-id-model/tokenizer.json"
reseal vocab-id tokenizer.json
hostile dtype
marker='"embeddings.token_type_embeddings.weight":{"dtype":"F'
offset=$(grep -obUaF "$marker" "$work/dtype-model/model.safetensors" | head -1 | cut -d: -f1)
printf I | dd of="$work/dtype-model/model.safetensors" bs=1 seek=$((offset + ${#marker} - 1)) conv=notrunc status=none
reseal dtype model.safetensors

mkdir -p "$node/config/prosper/models"
for name in test-model corrupted-model doc-l2-model both-l2-model layers-model positions-model \
  vocab-id-model dtype-model; do
  rm -rf "$node/config/prosper/models/$name"
  cp -r "$work/$name" "$node/config/prosper/models/"
done
# A link inside the models directory to an artefact outside it: refused, the directory confines.
ln -sfn "$work/test-model" "$node/config/prosper/models/link-model"
echo "test-models: installed the test artefact, its doc-l2/both-l2 copies and its corrupted and hostile copies into $node/config/prosper/models"
