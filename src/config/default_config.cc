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
)yaml";
}

}  // namespace allot
