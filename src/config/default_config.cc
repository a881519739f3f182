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
    nodes:
      - {name_prefix: h100-, count: 2, cpu: 192, memory: 2Ti, gpus: 8, gpu_mode: whole,
         labels: {zone: a, interconnect: nvlink}}
  - name: a100-mig
    gpu_model: A100-40GB
    tier: on_demand
    nodes:
      - {name: a100-mig-0, cpu: 96, memory: 1Ti, gpus: 8, gpu_mode: mig, labels: {zone: a}}
  - name: l4-spot
    gpu_model: L4
    tier: spot
    nodes:
      - {name_prefix: l4-, count: 4, cpu: 48, memory: 192Gi, gpus: 4, gpu_mode: shared,
         labels: {zone: b}}
  - name: cpu
    tier: on_demand
    nodes:
      - {name_prefix: cpu-, count: 2, cpu: 64, memory: 256Gi}
classes:
  - {name: critical, value: 1000}
  - {name: interactive, value: 500, queueing: reject}
  - {name: default, value: 100, throttle_at: 90}
  - {name: batch, value: 0, max_wait: 86400, throttle_at: 80, over_budget: wait,
     over_reservation: preempt}
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
currency: USD
time_zone: UTC
prices:
  pools:
    h100-reserved: {node_hour: "24.00", split: {gpu: 0.9, cpu: 0.06, memory: 0.04}}
    a100-mig: {node_hour: "12.00", split: {gpu: 0.9, cpu: 0.06, memory: 0.04}}
    l4-spot: {gpu: "0.45", cpu: "0.01", memory: "0.001"}
    cpu: {cpu: "0.015", memory: "0.001"}
  models:
    llama-3.1-70b: {input: "0.60", cached_input: "0.15", output: "0.80"}
budgets:
  - {name: acme-monthly, tenant: acme, money: "20000", period: monthly,
     forecast: {window: 6h, horizon: 3d}, anomaly: {window: 1h}}
  - {name: agents-daily, tenant: agents, money: "300", period: daily}
  - {name: research-gpu-hours, tenant: research, resource_hours: {gpu: 1500}, period: weekly,
     week_start: monday}
)yaml";
}

}  // namespace allot
