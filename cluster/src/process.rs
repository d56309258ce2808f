//! The cluster's processes, built on Ballista's own process APIs: a scheduler and executors
//! (`ledgerless cluster scheduler|executor`), so a loopback cluster needs nothing installed by
//! hand and a site can run the same binary on its machines. Any Ballista 55 scheduler and
//! executors serve `anonymise --engine` as well: nothing here is needed by the client.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use ballista_core::config::TaskSchedulingPolicy;
use ballista_executor::executor_process::{ExecutorProcessConfig, start_executor_process};
use ballista_scheduler::cluster::BallistaCluster;
use ballista_scheduler::config::SchedulerConfig;
use ballista_scheduler::scheduler_process::start_server;

/// Why a cluster process could not run.
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    /// The async runtime could not start.
    #[error("cannot start the runtime: {0}")]
    Runtime(std::io::Error),
    /// The work directory is unusable.
    #[error("work directory {}: {source}", path.display())]
    WorkDir {
        /// The directory.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// Ballista refused to start or stopped with an error.
    #[error("{0}")]
    Ballista(String),
}

/// A scheduler's settings.
#[derive(Debug, Clone)]
pub struct SchedulerOptions {
    /// Address to listen on (gRPC, REST `/api/*` and `/healthz`, `/readyz` share it).
    pub bind: SocketAddr,
    /// Seconds without a heartbeat after which an executor is dropped.
    pub executor_timeout_seconds: u64,
    /// Executors that must be registered before `/readyz` answers 200.
    pub min_ready_executors: usize,
}

/// An executor's settings.
#[derive(Debug, Clone)]
pub struct ExecutorOptions {
    /// The scheduler's address.
    pub scheduler: SocketAddr,
    /// Host to bind and to advertise to the scheduler and clients.
    pub host: String,
    /// Arrow Flight port (shuffle and results are fetched from it).
    pub flight_port: u16,
    /// gRPC port the scheduler pushes tasks to.
    pub grpc_port: u16,
    /// Where shuffle files and spills go (created if missing).
    pub work_dir: PathBuf,
    /// Task slots.
    pub vcores: usize,
    /// Memory pool for query execution, bytes (spills beyond it).
    pub memory_bytes: u64,
}

/// A tokio runtime with the deep stacks Ballista's upstream binaries use (plans recurse).
fn runtime() -> Result<tokio::runtime::Runtime, ProcessError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(32 << 20)
        .build()
        .map_err(ProcessError::Runtime)
}

/// Runs a scheduler until the process is stopped.
pub fn run_scheduler(opts: &SchedulerOptions) -> Result<(), ProcessError> {
    let config = SchedulerConfig {
        bind_host: opts.bind.ip().to_string(),
        external_host: opts.bind.ip().to_string(),
        bind_port: opts.bind.port(),
        scheduling_policy: TaskSchedulingPolicy::PushStaged,
        executor_timeout_seconds: opts.executor_timeout_seconds,
        expire_dead_executor_interval_seconds: 1.max(opts.executor_timeout_seconds / 10),
        min_ready_executors: opts.min_ready_executors,
        ..SchedulerConfig::default()
    };
    runtime()?.block_on(async move {
        let cluster = BallistaCluster::new_from_config(&config)
            .await
            .map_err(|e| ProcessError::Ballista(e.to_string()))?;
        start_server(cluster, opts.bind, Arc::new(config))
            .await
            .map_err(|e| ProcessError::Ballista(e.to_string()))
    })
}

/// Runs an executor until the process is stopped (SIGTERM and Ctrl-C deregister it first).
pub fn run_executor(opts: &ExecutorOptions) -> Result<(), ProcessError> {
    std::fs::create_dir_all(&opts.work_dir)
        .map_err(|source| ProcessError::WorkDir { path: opts.work_dir.clone(), source })?;
    let work_dir = opts.work_dir.to_str().ok_or_else(|| ProcessError::WorkDir {
        path: opts.work_dir.clone(),
        source: std::io::Error::other("the path is not valid UTF-8"),
    })?;
    let config = ExecutorProcessConfig {
        bind_host: opts.host.clone(),
        external_host: Some(opts.host.clone()),
        port: opts.flight_port,
        grpc_port: opts.grpc_port,
        scheduler_host: opts.scheduler.ip().to_string(),
        scheduler_port: opts.scheduler.port(),
        scheduler_connect_timeout_seconds: 30,
        vcores: opts.vcores.max(1),
        task_scheduling_policy: TaskSchedulingPolicy::PushStaged,
        work_dir: Some(work_dir.to_string()),
        memory_pool_size: Some(opts.memory_bytes),
        executor_heartbeat_interval_seconds: 1,
        ..ExecutorProcessConfig::default()
    };
    runtime()?.block_on(async move {
        start_executor_process(Arc::new(config)).await.map_err(|e| ProcessError::Ballista(e.to_string()))
    })
}
