package server

import (
	"errors"
	"strings"

	"github.com/stratakv/strata/acl"
	"github.com/stratakv/strata/storage"
)

// Reply texts, worded exactly as Redis 7.0 words them. Handlers use these
// constants so that a reply can be checked against Redis in one place.
const (
	msgSyntax            = "ERR syntax error"
	msgNotInteger        = "ERR value is not an integer or out of range"
	msgNotFloat          = "ERR value is not a valid float"
	msgOverflow          = "ERR increment or decrement would overflow"
	msgNaN               = "ERR increment would produce NaN or Infinity"
	msgWrongType         = "WRONGTYPE Operation against a key holding the wrong kind of value"
	msgNoSuchKey         = "ERR no such key"
	msgOutOfMemory       = "OOM command not allowed when used memory > 'maxmemory'."
	msgNoAuth            = "NOAUTH Authentication required."
	msgWrongPass         = "WRONGPASS invalid username-password pair or user is disabled."
	msgAuthNotSet        = "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"
	msgDBIndex           = "ERR DB index is out of range"
	msgInvalidExpire     = "ERR invalid expire time in '%s' command"
	msgStringTooLong     = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
	msgMaxClients        = "ERR max number of clients reached"
	msgInternal          = "ERR internal error"
	msgMultiNested       = "ERR MULTI calls can not be nested"
	msgExecNoMulti       = "ERR EXEC without MULTI"
	msgDiscardNoMulti    = "ERR DISCARD without MULTI"
	msgWatchInMulti      = "ERR WATCH inside MULTI is not allowed"
	msgExecAbort         = "EXECABORT Transaction discarded because of previous errors."
	msgSameObject        = "ERR source and destination objects are the same"
	msgUnknownCommand    = "ERR unknown command '%s', with args beginning with: %s"
	msgUnknownSubcommand = "ERR unknown subcommand '%s'. Try %s HELP."
	msgWrongArity        = "ERR wrong number of arguments for '%s' command"
	msgPubSubContext     = "ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
	msgProtocolPrefix    = "ERR Protocol error: "
)

// Keyspace and expiry reply texts.
const (
	msgInvalidCursor     = "ERR invalid cursor"
	msgIntRange          = "ERR value is out of range, value must between -2147483648 and 2147483647"
	msgInvalidFirstDB    = "ERR invalid first DB index"
	msgInvalidSecondDB   = "ERR invalid second DB index"
	msgUnsupportedOption = "ERR Unsupported option %s"
	msgExpireNXConflict  = "ERR NX and XX, GT or LT options at the same time are not compatible"
	msgExpireGTLT        = "ERR GT and LT options at the same time are not compatible"
	msgLFUNotSelected    = "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
	msgLFUSelected       = "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
)

// DUMP and RESTORE reply texts.
const (
	msgBusyKey         = "BUSYKEY Target key name already exists."
	msgInvalidTTL      = "ERR Invalid TTL value, must be >= 0"
	msgInvalidIdletime = "ERR Invalid IDLETIME value, must be >= 0"
	msgInvalidFreq     = "ERR Invalid FREQ value, must be >= 0 and <= 255"
	msgDumpPayload     = "ERR DUMP payload version or checksum are wrong"
	msgBadDataFormat   = "ERR Bad data format"
)

// Rate limiting and throttle reply texts (Strata's own commands).
const (
	msgRateLimit      = "ERR limit must be a positive integer"
	msgRateCost       = "ERR COST must be between 0 and the limit"
	msgRateNotSliding = "ERR key does not hold a CACHE.RATE SLIDING window"
	msgZeroRate       = "ERR zero rates are not supported"
	msgThrottleRange  = "ERR max_burst and quantity must not be negative, count and period must be positive, and period/count x (max_burst+1) must fit in 64-bit nanoseconds"
)

// String reply texts.
const (
	msgDecrementOverflow = "ERR decrement would overflow"
	msgOffsetRange       = "ERR offset is out of range"
	msgLCSWrongType      = "ERR The specified keys must contain string values"
	msgLCSLenAndIdx      = "ERR If you want both the length and indexes, please just use IDX."
	msgLCSNoMemory       = "ERR Insufficient memory, failed allocating transient memory for LCS"
)

// Connection, server and introspection reply texts.
const (
	msgInvalidCommand   = "ERR Invalid command specified"
	msgNoKeyArguments   = "ERR The command has no key arguments"
	msgInvalidArgCount  = "ERR Invalid number of arguments specified for command"
	msgInvalidKeyArgs   = "ERR Invalid arguments specified for command"
	msgProtoVersion     = "ERR Protocol version is not an integer or out of range"
	msgNoProto          = "NOPROTO unsupported protocol version"
	msgHelloSyntax      = "ERR Syntax error in HELLO option '%s'"
	msgHelloNoAuth      = "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time"
	msgClientName       = "ERR Client names cannot contain spaces, newlines or special characters."
	msgSetInfoOption    = "ERR Unrecognized option '%s'"
	msgSetInfoValue     = "ERR %s cannot contain spaces, newlines or special characters."
	msgClientType       = "ERR Unknown client type '%s'"
	msgClientID         = "ERR Invalid client ID"
	msgClientKillID     = "ERR client-id should be greater than 0"
	msgNoSuchUser       = "ERR No such user '%s'"
	msgNoSuchClient     = "ERR No such client"
	msgConfigUnknown    = "ERR Unknown option or number of arguments for CONFIG SET - '%s'"
	msgConfigSetFailed  = "ERR CONFIG SET failed (possibly related to argument '%s') - %s"
	msgConfigNoFile     = "ERR The server is running without a config file"
	msgConfigRewrite    = "ERR Rewriting config file: "
	msgNoShutdown       = "ERR No shutdown in progress."
	msgSubcommandSyntax = "ERR unknown subcommand or wrong number of arguments for '%s'. Try %s HELP."
	msgSlowlogCount     = "ERR count should be greater than or equal to -1"
	msgDoctorEmpty      = "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n"
	msgDoctorFine       = "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n"
)

// Client-side caching, CLIENT PAUSE and DEBUG reply texts.
const (
	msgTrackingRedirectTwice = "ERR A client can only redirect to a single other client"
	msgTrackingNoRedirect    = "ERR The client ID you want redirect to does not exist"
	msgTrackingPrefixBcast   = "ERR PREFIX option requires BCAST mode to be enabled"
	msgTrackingSwitchBcast   = "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode."
	msgTrackingBcastOpt      = "ERR OPTIN and OPTOUT are not compatible with BCAST"
	msgTrackingOptBoth       = "ERR You can't specify both OPTIN mode and OPTOUT mode"
	msgTrackingSwitchOpt     = "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode."
	msgCachingNotTracking    = "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled"
	msgCachingYes            = "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode."
	msgCachingNo             = "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode."
	msgPauseTimeout          = "ERR timeout is not an integer or out of range"
	msgPauseMode             = "ERR CLIENT PAUSE mode must be WRITE or ALL"
	msgDebugNotAllowed       = "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server."
)

// Pub/sub, tag and invalidation reply texts.
const (
	msgPubSubArgs         = "ERR unknown subcommand or wrong number of arguments for '%s'. Try PUBSUB HELP."
	msgNoMulti            = "ERR Command not allowed inside a transaction"
	msgInvalidateNoPrefix = "ERR pattern '%s' has no literal prefix and would scan the whole keyspace: add FORCE to invalidate with it"
	msgUnknownEvent       = "ERR unknown event '%s'"
	msgEventMissingField  = "ERR event '%s' needs field '%s'"
)

// Statistics reply texts (Strata's own commands).
const (
	msgNoNamespace  = "ERR no such namespace"
	msgHotKeysCount = "ERR COUNT must be a positive integer"
)

// Warm-up, read-through and lease reply texts (Strata's own commands).
const (
	msgNoWarmupJob   = "ERR no such warm-up job '%s'"
	msgWarmupRunning = "ERR warm-up job '%s' is already running"
	msgWarmupNoKeys  = "ERR warm-up job '%s' has no keys of its own to clear (its source is hot or refresh)"
	msgShuttingDown  = "ERR the server is shutting down"
	msgLeaseTTL      = "ERR PX must be between 1 and 3600000 milliseconds"
)

// Disk tier and namespace reply texts: a refused write is worded as Redis
// words writes refused after a failed AOF write.
const (
	msgDiskTierFull = "MISCONF Errors writing to the disk tier: No space left on device. Writes to write_through namespaces are refused until there is room."
	msgDiskTierIO   = "MISCONF Errors writing to the disk tier: see the server log. Writes to persisted namespaces are refused until it recovers."
	msgDiskReadOnly = "MISCONF The disk tier's directory is read-only. Writes to persisted namespaces are refused."
	// msgDiskLimit is Redis's OOM error (msgOutOfMemory) for the disk
	// tier's bound.
	msgDiskLimit     = "OOM command not allowed when used disk > 'max-disk-size'."
	msgNotCompressed = "ERR namespace '%s' does not compress values (no compress setting)"
	msgTooFewSamples = "ERR namespace '%s' has too few values to train a dictionary from (%d found; at least 8 and 4kb are needed)"
)

// storageError is the reply to an error that poisoned a command's
// transaction: a disk tier refusal worded as Redis words writes refused
// after a failed AOF write, a failed disk read as ERR with its cause.
func storageError(err error) string {
	switch {
	case errors.Is(err, storage.ErrDiskFull):
		return msgDiskTierFull
	case errors.Is(err, storage.ErrDiskIO):
		return msgDiskTierIO
	case errors.Is(err, storage.ErrDiskReadOnly):
		return msgDiskReadOnly
	case errors.Is(err, storage.ErrDiskLimit):
		return msgDiskLimit
	}
	return "ERR " + strings.ReplaceAll(err.Error(), "storage: ", "")
}

// List and blocking reply texts.
const (
	msgMustBePositive  = "ERR value is out of range, must be positive"
	msgIndexOutOfRange = "ERR index out of range"
	msgLPosRank        = "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list"
	msgLPosCount       = "ERR COUNT can't be negative"
	msgLPosMaxLen      = "ERR MAXLEN can't be negative"
	msgNumKeys         = "ERR numkeys should be greater than 0"
	msgCountPositive   = "ERR count should be greater than 0"
	msgTimeoutNotFloat = "ERR timeout is not a float or out of range"
	msgTimeoutNegative = "ERR timeout is negative"
	msgUnblocked       = "UNBLOCKED client unblocked via CLIENT UNBLOCK"
	msgUnblockReason   = "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"
)

// Sorted set reply texts.
const (
	msgZAddXXNX       = "ERR XX and NX options at the same time are not compatible"
	msgZAddGTLTNX     = "ERR GT, LT, and/or NX options at the same time are not compatible"
	msgZAddIncrPair   = "ERR INCR option supports a single increment-element pair"
	msgZScoreNaN      = "ERR resulting score is not a number (NaN)"
	msgZRangeLimit    = "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
	msgZRangeLexScore = "ERR syntax error, WITHSCORES not supported in combination with BYLEX"
	msgZMinMaxFloat   = "ERR min or max is not a float"
	msgZMinMaxLex     = "ERR min or max not valid string range item"
	msgZNumKeys       = "ERR at least 1 input key is needed for '%s' command"
	msgZWeight        = "ERR weight value is not a float"
	msgZLimit         = "ERR LIMIT can't be negative"
	msgOutOfRange     = "ERR value is out of range"
	msgOutOfRangeLong = "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
)

// Geo and SORT reply texts.
const (
	msgGeoInvalidPair    = "ERR invalid longitude,latitude pair %s,%s"
	msgGeoNoMember       = "ERR could not decode requested zset member"
	msgGeoUnit           = "ERR unsupported unit provided. please use M, KM, FT, MI"
	msgGeoNeedRadius     = "ERR need numeric radius"
	msgGeoNeedWidth      = "ERR need numeric width"
	msgGeoNeedHeight     = "ERR need numeric height"
	msgGeoRadiusNegative = "ERR radius cannot be negative"
	msgGeoBoxNegative    = "ERR height or width cannot be negative"
	msgGeoCountPositive  = "ERR COUNT must be > 0"
	msgGeoStoreWith      = "ERR %s is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
	msgGeoFrom           = "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for %s"
	msgGeoBy             = "ERR exactly one of BYRADIUS and BYBOX can be specified for %s"
	msgGeoAnyCount       = "ERR the ANY argument requires COUNT argument"
	msgSortNotDouble     = "ERR One or more scores can't be converted into double"
)

// Hash and set reply texts.
const (
	msgHashNotInteger = "ERR hash value is not an integer"
	msgHashNotFloat   = "ERR hash value is not a float"
	msgNaNOrInfinity  = "ERR value is NaN or Infinity"
	msgNumKeysTooMany = "ERR Number of keys can't be greater than number of args"
)

// Scripting reply texts (EVAL, EVALSHA, SCRIPT); those of scripts' own
// errors are package script's.
const (
	msgNoScript          = "NOSCRIPT No matching script. Please use EVAL."
	msgNumKeysNegative   = "ERR Number of keys can't be negative"
	msgScriptWriteFlagRO = "ERR Can not execute a script with write flag using *_ro command."
	msgScriptFlushOption = "ERR SCRIPT FLUSH only support SYNC|ASYNC option"
	msgScriptDebugOption = "ERR Use SCRIPT DEBUG YES/SYNC/NO"
	msgScriptDebugger    = "ERR Strata has no Lua debugger: SCRIPT DEBUG supports NO only"
	msgNotBusy           = "NOTBUSY No scripts in execution right now."
	msgUnkillable        = "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command."
	msgBusyEval          = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
	msgBusyFunction      = "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
)

// Function reply texts (FCALL, FUNCTION); those of libraries that do not
// load are package script's.
const (
	msgFunctionNotFound    = "ERR Function not found"
	msgBadNumKeys          = "ERR Bad number of keys provided"
	msgFunctionOption      = "ERR Unknown option given: %s"
	msgRestorePolicy       = "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE."
	msgLibraryNotFound     = "ERR Library not found"
	msgFunctionFlushOption = "ERR FUNCTION FLUSH only supports SYNC|ASYNC option"
	msgLibraryNameMissing  = "ERR library name argument was not given"
	msgFunctionListArg     = "ERR Unknown argument %s"
	msgFunctionsNotSaved   = "MISCONF Errors writing the function libraries to the data dir: see the server log. The change is in memory only."
)

// Bitmap reply texts.
const (
	msgBitOffset        = "ERR bit offset is not an integer or out of range"
	msgBitValue         = "ERR bit is not an integer or out of range"
	msgBitposBit        = "ERR The bit argument must be 1 or 0."
	msgBitopNot         = "ERR BITOP NOT must be called with a single source key."
	msgBitfieldType     = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."
	msgBitfieldOverflow = "ERR Invalid OVERFLOW type specified"
	msgBitfieldRO       = "ERR BITFIELD_RO only supports the GET subcommand"
)

// HyperLogLog reply texts.
const (
	msgNotHLL            = "WRONGTYPE Key is not a valid HyperLogLog string value."
	msgCorruptHLL        = "INVALIDOBJ Corrupted HLL object detected"
	msgPfdebugNoKey      = "ERR The specified key does not exist"
	msgPfdebugNotSparse  = "ERR HLL encoding is not sparse"
	msgPfdebugUnknown    = "ERR Unknown PFDEBUG subcommand '%s'"
	msgSelftestRegister  = "TESTFAILED Register %d should be %d but is %d"
	msgSelftestNotSparse = "TESTFAILED sparse encoding not used"
	msgSelftestDisagree  = "TESTFAILED dense/sparse disagree"
	msgSelftestError     = "TESTFAILED Too big error. card:%d abserr:%d"
)

// Cluster reply texts.
const (
	msgMoved              = "MOVED %d %s"
	msgAsk                = "ASK %d %s"
	msgTryAgain           = "TRYAGAIN Multiple keys request during rehashing of slot"
	msgCrossSlot          = "CROSSSLOT Keys in request don't hash to the same slot"
	msgClusterDownUnbound = "CLUSTERDOWN Hash slot not served"
	msgClusterDisabled    = "ERR This instance has cluster support disabled"
	msgInvalidSlot        = "ERR Invalid slot"
	msgInvalidSlotOrCount = "ERR Invalid slot or number of keys"
	msgSelectCluster      = "ERR SELECT is not allowed in cluster mode"
	msgMoveCluster        = "ERR MOVE is not allowed in cluster mode"
	msgSwapDBCluster      = "ERR SWAPDB is not allowed in cluster mode"
	msgCopyDBCluster      = "ERR Copying to another database is not allowed in cluster mode"
	msgScriptNonLocal     = "ERR Script attempted to access a non local key in a cluster node"
)

// Cluster reply texts of Strata's own commands.
const (
	msgMapInvalid    = "ERR invalid slot map: %s"
	msgMapNotNewer   = "ERR slot map version %d is not newer than this node's version %d"
	msgMapNotMe      = "ERR the slot map names no node %s"
	msgMapSave       = "ERR the slot map could not be saved: see the server log"
	msgNoClusterMap  = "ERR this node has no slot map yet"
	msgPeerFailed    = "ERR cluster node %s at %s did not answer: see the server log"
	msgPeerError     = "ERR cluster node %s at %s replied: %s"
	msgImportPayload = "ERR CLUSTER.IMPORT payload is not a key exported by a Strata node"
)

// Stream reply texts.
const (
	msgStreamID             = "ERR Invalid stream ID specified as stream command argument"
	msgStreamStartID        = "ERR invalid start ID for the interval"
	msgStreamEndID          = "ERR invalid end ID for the interval"
	msgXAddIDZero           = "ERR The ID specified in XADD must be greater than 0-0"
	msgXAddIDTooSmall       = "ERR The ID specified in XADD is equal or smaller than the target stream top item"
	msgStreamExhausted      = "ERR The stream has exhausted the last possible ID, unable to add more items"
	msgStreamTooLarge       = "ERR Elements are too large to be stored"
	msgTrimBothStrategies   = "ERR syntax error, MAXLEN and MINID options at the same time are not compatible"
	msgTrimMaxLen           = "ERR The MAXLEN argument must be >= 0."
	msgTrimLimit            = "ERR The LIMIT argument must be >= 0."
	msgTrimLimitNoStrategy  = "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy"
	msgTrimLimitNoApprox    = "ERR syntax error, LIMIT cannot be used without the special ~ option"
	msgXTrimNoStrategy      = "ERR syntax error, XTRIM must be called with a trimming strategy"
	msgXSetIDEntriesAdded   = "ERR entries_added must be positive"
	msgXSetIDMaxDeleted     = "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id"
	msgXSetIDTooSmall       = "ERR The ID specified in XSETID is smaller than the target stream top item"
	msgXSetIDEntriesTooFew  = "ERR The entries_added specified in XSETID is smaller than the target stream length"
	msgXReadBlockInScript   = "ERR %s command is not allowed with BLOCK option from scripts"
	msgXReadTimeout         = "ERR timeout is not an integer or out of range"
	msgXReadUnbalanced      = "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified."
	msgXReadGroupOption     = "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead."
	msgXReadNoAckOption     = "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead."
	msgXReadGroupMissing    = "ERR Missing GROUP option for XREADGROUP"
	msgXReadGroupNoGroup    = "NOGROUP No such key '%s' or consumer group '%s' in XREADGROUP with GROUP option"
	msgXReadGroupDollar     = "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set."
	msgXReadGreaterID       = "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option."
	msgStreamKeyDeleted     = "UNBLOCKED the stream key no longer exists"
	msgStreamGroupDestroyed = "NOGROUP the consumer group this client was blocked on no longer exists"
	msgXGroupNoKey          = "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically."
	msgXGroupNoGroup        = "NOGROUP No such consumer group '%s' for key name '%s'"
	msgXGroupEntriesRead    = "ERR value for ENTRIESREAD must be positive or -1"
	msgBusyGroup            = "BUSYGROUP Consumer Group name already exists"
	msgNoKeyOrGroup         = "NOGROUP No such key '%s' or consumer group '%s'"
	msgXClaimMinIdle        = "ERR Invalid min-idle-time argument for XCLAIM"
	msgXClaimIdle           = "ERR Invalid IDLE option argument for XCLAIM"
	msgXClaimTime           = "ERR Invalid TIME option argument for XCLAIM"
	msgXClaimRetryCount     = "ERR Invalid RETRYCOUNT option argument for XCLAIM"
	msgXClaimOption         = "ERR Unrecognized XCLAIM option '%s'"
	msgXAutoClaimMinIdle    = "ERR Invalid min-idle-time argument for XAUTOCLAIM"
	msgXAutoClaimCount      = "ERR COUNT must be > 0"
	msgXAutoClaimMemory     = "ERR Insufficient memory, failed allocating transient memory, COUNT too high."
)

// ACL reply texts: permission denials at the top level, in EXEC, in
// scripts and in ACL DRYRUN, and the ACL command's own.
const (
	msgNoPermCommand      = "NOPERM this user has no permissions to run the '%s' command"
	msgNoPermKey          = "NOPERM this user has no permissions to access one of the keys used as arguments"
	msgNoPermChannel      = "NOPERM this user has no permissions to access one of the channels used as arguments"
	msgExecNoPerm         = "NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: %s"
	msgExecNoPermCommand  = "no permission to execute the command or subcommand"
	msgExecNoPermKey      = "no permission to touch the specified keys"
	msgExecNoPermChannel  = "no permission to access one of the channels used as arguments"
	msgScriptNoPermCmd    = "The user executing the script can't run this command or subcommand"
	msgScriptNoPermKey    = "The user executing the script can't access at least one of the keys mentioned in the command arguments"
	msgScriptNoPermChan   = "The user executing the script can't publish to the channel mentioned in the command"
	msgDryRunCommand      = "This user has no permissions to run the '%s' command"
	msgDryRunKey          = "This user has no permissions to access the '%s' key"
	msgDryRunChannel      = "This user has no permissions to access the '%s' channel"
	msgDryRunNoUser       = "ERR User '%s' not found"
	msgDryRunNoCommand    = "ERR Command '%s' not found"
	msgACLSetUser         = "ERR Error in ACL SETUSER modifier '%s': %s"
	msgACLUsernameSpaces  = "ERR Usernames can't contain spaces or null characters"
	msgACLUnmatchedParen  = "ERR Unmatched parenthesis in acl selector starting at '%s'."
	msgACLDeleteDefault   = "ERR The 'default' user cannot be removed"
	msgACLUnknownCategory = "ERR Unknown category '%s'"
	msgACLGenPassBits     = "ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096"
	msgACLNoFile          = "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration."
	msgACLSaveFailed      = "ERR There was an error trying to save the ACLs. Please check the server logs for more information"
)

// ACL file problems, worded as Redis's ACLLoadFromFile (its inconsistent
// punctuation included); ACL LOAD replies "ERR " and their concatenation.
const (
	msgACLLoadOpen      = "Error loading ACLs, opening file '%s': %s"
	msgACLLoadNotUser   = "%s:%d should start with user keyword followed by the username. "
	msgACLLoadBadName   = "'%s:%d: username '%s' contains invalid characters. "
	msgACLLoadDuplicate = "WARNING: Duplicate user '%s' found on line %d. "
	msgACLLoadParen     = "%s:%d: Unmatched parenthesis in selector definition."
	msgACLLoadRule      = "%s:%d: %s. "
	msgACLLoadAbort     = "WARNING: ACL errors detected, no change to the previously active ACL rules was performed"
)

// Why an ACL rule is refused, as Redis's ACLSetUserStringError words it.
const msgACLRuleWrongFormat = "Wrong format"

var aclRuleErrors = []struct {
	err  error
	text string
}{
	{acl.ErrUnknownName, "Unknown command or category name in ACL"},
	{acl.ErrSyntax, "Syntax error"},
	{acl.ErrKeysAfterAll, "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns"},
	{acl.ErrChannelsAfterAll, "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels"},
	{acl.ErrNoSuchPassword, "The password you are trying to remove from the user does not exist"},
	{acl.ErrBadHash, "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters"},
	{acl.ErrDuplicateUser, "Duplicate user found. A user can only be defined once in config files"},
	{acl.ErrSubcommandFirstArg, "Allowing first-arg of a subcommand is not supported"},
}

// msgDenied is what protected mode tells a client from outside the
// loopback interface before closing it.
const msgDenied = "DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside."
