# Parses Prometheus text exposition format from stdin with the Prometheus Python client's own
# parser and prints every sample as JSON: [[name, {labels}, value], ...]. Exits 3 when the
# client is missing (Debian: python3-prometheus-client; pip: prometheus-client).
import json
import sys

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:
    sys.stderr.write("python3 module prometheus_client is missing: apt-get install python3-prometheus-client (or pip install prometheus-client)\n")
    sys.exit(3)

samples = []
types = {}
for family in text_string_to_metric_families(sys.stdin.read()):
    types[family.name] = family.type
    for s in family.samples:
        samples.append([s.name, s.labels, s.value])
json.dump({"types": types, "samples": samples}, sys.stdout)
