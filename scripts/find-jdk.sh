# Sourced by .ci/run and run-local-node.sh: exports JAVA_HOME as a JDK 21+ and puts it first
# on PATH. Keeps JAVA_HOME if it already is one; otherwise picks the newest JDK 21+ under
# /usr/lib/jvm (Debian's place), then the `java` on PATH.

java_major() {
  "$1/bin/java" -XshowSettings:properties -version 2>&1 |
    sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p'
}

find_jdk() {
  local candidate best="" best_major=0 major
  if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/javac" ]]; then
    major=$(java_major "$JAVA_HOME")
    if ((major >= 21)); then echo "$JAVA_HOME"; return 0; fi
  fi
  for candidate in /usr/lib/jvm/*/ "$(dirname "$(dirname "$(readlink -f "$(command -v javac 2>/dev/null || echo /nonexistent)")")")"; do
    candidate=${candidate%/}
    [[ -x "$candidate/bin/javac" ]] || continue
    major=$(java_major "$candidate")
    if [[ -n "$major" ]] && ((major >= 21 && major > best_major)); then
      best=$candidate best_major=$major
    fi
  done
  [[ -n "$best" ]] && echo "$best"
}

if ! JAVA_HOME=$(find_jdk); then
  echo "No JDK 21+ found (looked at JAVA_HOME, /usr/lib/jvm and PATH). Install one, e.g. a Temurin 21 JDK." >&2
  exit 1
fi
export JAVA_HOME
export PATH="$JAVA_HOME/bin:$PATH"
echo "Using JDK $(java_major "$JAVA_HOME") at $JAVA_HOME"
