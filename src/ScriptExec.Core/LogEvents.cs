namespace ScriptExec.Core;

/// <summary>
/// Every log event id of the daemon, in one table so none collides: each part of the daemon has its own thousand,
/// in the order its messages were added. Journals and log processors can filter on them; ids never change meaning.
/// </summary>
public static class LogEvents
{
    /// <summary>The host: start-up, options, endpoints, connections, memory.</summary>
    public static class Daemon
    {
        public const int Ready = 1001;
        public const int PeerUnknown = 1002;
        public const int OriginRefused = 1003;
        public const int TokenRefused = 1004;
        public const int Recovered = 1005;
        public const int ShuttingDown = 1006;
        public const int TriggersUnavailable = 1007;
        public const int ConnectionRefused = 1008;
        public const int DescriptorBudget = 1009;
        public const int MemoryTrimmed = 1010;

        // 1030-1039: the management page and the browser login on /rpc.
        public const int BrowserLoginAccepted = 1030;
        public const int BrowserLoginTimedOut = 1031;
        // GET /metrics (1040-1049).
        public const int MetricsServed = 1040;
        public const int MetricsTokenRefused = 1041;
        // Footprint (1060-1069).
        public const int StartupMemoryReturned = 1060;
    }

    /// <summary>The JSON-RPC front layer.</summary>
    public static class Rpc
    {
        public const int MethodFailed = 2001;
        public const int MessageTooLarge = 2002;
        public const int ParseError = 2003;
        public const int ConnectionEnded = 2004;
        public const int MessageTimedOut = 2005;
    }

    /// <summary>Executions, triggers, recovery, retention.</summary>
    public static class Supervisor
    {
        public const int Started = 3001;
        public const int Ended = 3002;
        public const int SpawnFailed = 3003;
        public const int Stopping = 3004;
        public const int GraceExpired = 3005;
        public const int Recovered = 3006;
        public const int ShuttingDown = 3008;
        public const int TriggerFailed = 3009;
        public const int ScheduleSkipped = 3010;
        public const int Pruned = 3011;
        public const int RetentionFailed = 3012;
        public const int StateTreeQuarantined = 3013;
        public const int StateTreeQuarantineFailed = 3014;
        public const int CgroupsOn = 3015;
        public const int CgroupsOff = 3016;
        public const int LeftoversKilled = 3017;
        public const int RecordPending = 3018;
        public const int RecordStored = 3019;
        public const int StartFailed = 3020;

        // Numbered apart from the run above, which parallel work extends.
        public const int RebootUntracked = 3040;
        // 3040+: the output path of the script runtime contract (apart, so parallel additions above do not collide).
        public const int SecretTooShortToMask = 3041;
        // Lifecycle policy (3042…): apart from the numbers others add after 3020.
        public const int OutcomeNotRecorded = 3042;
        public const int RestartScheduled = 3043;
        public const int RestartGaveUp = 3044;
        public const int RestartFailed = 3045;
        public const int StartQueued = 3046;
        public const int TickMissed = 3047;
        // Cgroup controller limits (3060…).
        public const int ControllersFound = 3060;
        public const int OomKilled = 3061;
        public const int LimitUnenforceable = 3062;
        public const int DefaultLimitUnenforceable = 3063;
        // Spawning (3070…).
        public const int HeldSpawnOn = 3070;
        public const int HeldSpawnOff = 3071;
    }

    /// <summary>The SQLite store.</summary>
    public static class Store
    {
        public const int RowUnloadable = 4001;
        public const int Unavailable = 4002;
        public const int AvailableAgain = 4003;
        public const int OutputLost = 4004;
        public const int ReserveReleased = 4005;
        public const int ReserveRestored = 4006;
        public const int ReserveMissing = 4007;
        public const int CheckpointFailed = 4008;
    }

    /// <summary>Fleet channels: the MQTT channel and the outbound WebSocket (5001-5039).</summary>
    public static class Fleet
    {
        public const int MqttConnected = 5001;
        public const int MqttConnectFailed = 5002;
        public const int MqttDisconnected = 5003;
        public const int MqttDropped = 5005;
        public const int MqttNoReplyTarget = 5006;
        public const int MqttExchangeFailed = 5007;
        public const int MqttPublishFailed = 5008;
        public const int MqttEventsFailed = 5009;
        public const int MqttStopped = 5010;
        public const int OutboundConnected = 5020;
        public const int OutboundConnectFailed = 5021;
        public const int OutboundDisconnected = 5022;
    }
}
