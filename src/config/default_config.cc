#include "config/config_loader.h"

namespace allot {

std::string_view DefaultConfigYaml() {
  return R"yaml(# allot's embedded default: a small demo cluster.
placement: best_fit
gpu_models:
  - {name: H100-80GB, memory: 80Gi}
  - {name: A100-40GB, memory: 40Gi}
  - {name: L4, memory: 24Gi}
pools:
  - name: h100-reserved
    gpu_model: H100-80GB
    tier: reserved
    price_per_node_hour: "24.00"
    nodes:
      - {name_prefix: h100-, count: 2, cpu: 192, memory: 2Ti, gpus: 8, gpu_mode: whole,
         labels: {zone: a, interconnect: nvlink}}
  - name: a100-mig
    gpu_model: A100-40GB
    tier: on_demand
    price_per_node_hour: "12.00"
    nodes:
      - {name: a100-mig-0, cpu: 96, memory: 1Ti, gpus: 8, gpu_mode: mig, labels: {zone: a}}
  - name: l4-spot
    gpu_model: L4
    tier: spot
    price_per_node_hour: "2.40"
    nodes:
      - {name_prefix: l4-, count: 4, cpu: 48, memory: 192Gi, gpus: 4, gpu_mode: shared,
         labels: {zone: b}}
  - name: cpu
    tier: on_demand
    price_per_node_hour: "1.20"
    nodes:
      - {name_prefix: cpu-, count: 2, cpu: 64, memory: 256Gi}
classes:
  - {name: critical, value: 1000}
  - {name: interactive, value: 500, queueing: reject}
  - {name: default, value: 100}
  - {name: batch, value: 0, max_wait: 86400}
tenants:
  - {name: acme}
  - name: research
    parent: acme
    quota: {gpu: {guaranteed: 8, limit: 16}}
  - name: agents
    parent: acme
    weight: 2
    quota: {gpu: {guaranteed: 4, limit: 8}}
    max_running: {interactive: 20}
  - name: platform
    quota: {cpu: {guaranteed: 32}}
)yaml";
}

}  // namespace allot
