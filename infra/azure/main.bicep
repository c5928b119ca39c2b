// spark-dispatch on Azure: the Functions app (Flex Consumption) that launches PySpark drivers,
// and what it needs around it, with identity-based access only (no account keys, no SAS, no
// connection strings with secrets):
//
//   ADLS Gen2 account ── Event Grid system topic ──► storageEvents (Event Grid trigger)
//   Service Bus queue spark-jobs ─────────────────► jobMessages   (Service Bus trigger)
//   timer ────────────────────────────────────────► sweeper       (timer trigger)
//   job ledger, staging: containers on the ADLS account; lifecycle events: topic spark-dispatch-events
//
// One team (tenants = []): the settings' single-team form, one queue, one staging container.
// Several teams (tenants): per team a job queue only its orchestrators may send to (the queue a
// message arrives on decides its tenant), its containers, a storage role for its drivers' identity
// on those containers only, and a topic subscription tenant-<name> with its lifecycle events only
// (modules/tenantAccess.bicep holds what each team's identities get).
//
// Deploy (resource group scope), in this order (.github/workflows/deploy.yml does it):
//   1. az deployment group create -g <rg> -f infra/azure/main.bicep -p @infra/azure/main.parameters.json
//        --query properties.outputs > outputs.json
//   2. the code (Flex Consumption zip deploy), until its functions are indexed;
//   3. infra/azure/storage-events.sh -g <rg> --outputs outputs.json: the Event Grid subscriptions,
//      with a WebHook endpoint and the Event Grid extension's system key, which exists only once
//      the code runs. This template creates the system topic and outputs the subscriptions' bodies.
//
// test/unit/bicepWiring.test.ts checks this file's wiring against the code, for one team and for
// two (no Bicep compiler is available where the project is developed): keep app settings in
// siteConfig.appSettings as `{ name: '…', value: … }` entries, one field per line, in literal
// arrays (concat() of a ternary adds the single-team ones).
targetScope = 'resourceGroup'

// ---------------------------------------------------------------------------------------------
// Parameters
// ---------------------------------------------------------------------------------------------

@description('Region of every resource.')
param location string = resourceGroup().location

@description('Tags for every resource.')
param tags object = {}

@description('ADLS Gen2 account (hierarchical namespace): watched filesystems, job ledger, staging.')
@minLength(3)
@maxLength(24)
param adlsAccountName string = take('sdlake${uniqueString(resourceGroup().id)}', 24)

@description('Storage account of the Functions host (AzureWebJobsStorage) and its deployment container. Kept apart from the data lake.')
@minLength(3)
@maxLength(24)
param hostStorageAccountName string = take('sdhost${uniqueString(resourceGroup().id)}', 24)

@description('Service Bus namespace (Standard).')
param serviceBusNamespaceName string = 'sd-bus-${uniqueString(resourceGroup().id)}'

@description('Function app name (also the host name prefix: <name>.azurewebsites.net).')
param functionAppName string = 'sd-func-${uniqueString(resourceGroup().id)}'

@description('Log Analytics workspace and Application Insights name prefix.')
param monitoringName string = 'sd-mon-${uniqueString(resourceGroup().id)}'

@description('One team: filesystems (containers) of the ADLS account whose BlobCreated/BlobRenamed events start jobs. At most 18: see the Event Grid filter. Ignored with tenants (each lists its own containers).')
@minLength(1)
@maxLength(18)
param watchedContainers array = [
  'jobs'
  'raw'
]

@description('Container of the job ledger (settings.ledger.container).')
param ledgerContainerName string = 'spark-dispatch-ledger'

@description('One team: container where inline scripts from job messages are staged (settings.intake.staging.filesystem); may be one of the watched ones. Ignored with tenants (tenants[].stagingContainer).')
param stagingContainerName string = 'jobs'

@description('Job queue (the jobMessages trigger, SPARK_DISPATCH_JOB_QUEUE, settings.serviceBus.jobQueue). With tenants, no queue of that name is created: it is the prefix of their default queue names, <jobQueueName>-<tenant>, as in the settings.')
param jobQueueName string = 'spark-jobs'

@description('One team (settings tenants.<name>). The settings passed in sparkDispatchSettings must describe the same teams: the same ids, a queue each (tenants.<name>.queue, default <jobQueueName>-<name>), the containers as their filesystems on adlsAccountName.')
type tenantSpec = {
  @description('Tenant id, as in settings tenants.<name>: lower-case letters, digits and -, at most 32.')
  @minLength(1)
  @maxLength(32)
  name: string

  @description('The team\'s filesystems (containers) on adlsAccountName: created, watched by Event Grid, and the only ones its drivers\' identity may read and write. At most 18 (Event Grid filter values, see below).')
  @minLength(1)
  @maxLength(18)
  containers: string[]

  @description('Its staging area\'s container (settings tenants.<name>.intake.staging.filesystem) when it is not one of containers: created, not watched, and its drivers may only read it (the Function writes there). Default: none (staging in one of containers).')
  stagingContainer: string?

  @description('Its job queue (settings tenants.<name>.queue). Default: <jobQueueName>-<name>, the settings default.')
  queueName: string?

  @description('Object ids of the team\'s orchestrator identities (managed identities, service principals, groups): Azure Service Bus Data Sender on its queue, and on nothing else.')
  senderPrincipalIds: string[]?

  @description('Object ids allowed to read its lifecycle events: Azure Service Bus Data Receiver on the topic subscription tenant-<name>, which only gets events whose tenant property is <name>.')
  eventReaderPrincipalIds: string[]?

  @description('Principal (object) id of the user-assigned identity its drivers use for storage, federated to its namespaces\' driver service account; its client id is settings tenants.<name>.clientId.')
  driverIdentityPrincipalId: string
}

@description('The teams this installation serves (settings tenants). Empty: one team, as described by watchedContainers, stagingContainerName and jobQueueName.')
param tenants tenantSpec[] = []

@description('Topic for lifecycle events (settings.serviceBus.eventsTopic).')
param eventsTopicName string = 'spark-dispatch-events'

@description('Deliveries of a job message before Service Bus dead-letters it. The queue and settings.serviceBus.maxDeliveryCount both take this value: the last delivery records "dead-lettered" in the ledger.')
@minValue(1)
@maxValue(2000)
param maxDeliveryCount int = 10

@description('Sweeper timer, six-field NCRONTAB (settings.sweeper.schedule).')
param sweeperSchedule string = '0 */5 * * * *'

@description('The rest of the spark-dispatch settings (namespaces, storage accounts, images, kubernetes auth, intake rules...), as an object; the app gets it as the JSON app setting SPARK_DISPATCH_SETTINGS. No secrets here: it is a plain app setting.')
param sparkDispatchSettings object

@description('Flex Consumption: most instances the app scales out to. Each instance runs up to 16 job messages at once (host.json).')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Flex Consumption instance memory.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Days Log Analytics keeps logs.')
param logRetentionDays int = 30

@description('Event Grid delivery attempts before an event is dead-lettered.')
@minValue(1)
@maxValue(30)
param eventMaxDeliveryAttempts int = 30

@description('Minutes Event Grid keeps retrying an event before it is dead-lettered.')
@minValue(1)
@maxValue(1440)
param eventTimeToLiveMinutes int = 1440

// ---------------------------------------------------------------------------------------------
// Names and constants
// ---------------------------------------------------------------------------------------------

// Public cloud host name; the Functions trigger and the dispatcher's own sender both use it.
var serviceBusFqdn = '${serviceBusNamespaceName}.servicebus.windows.net'

// One team (the settings' single-team form), or tenants.
var singleTeam = empty(tenants)

// Each tenant with its defaults filled in.
var tenantList = [for t in tenants: {
  name: t.name
  containers: t.containers
  stagingContainer: t.?stagingContainer ?? ''
  queueName: t.?queueName ?? '${jobQueueName}-${t.name}'
  senderPrincipalIds: t.?senderPrincipalIds ?? []
  eventReaderPrincipalIds: t.?eventReaderPrincipalIds ?? []
  driverIdentityPrincipalId: t.driverIdentityPrincipalId
  eventsSubscription: 'tenant-${t.name}'
}]

// The job queues: one per tenant, or the one queue of a single team.
var jobQueueNames = singleTeam ? [jobQueueName] : map(tenantList, t => t.queueName)

// Every container this template creates on the lake: the watched ones, the staging ones and the ledger.
var singleTeamContainers = union(watchedContainers, [ledgerContainerName, stagingContainerName])
var tenantStagingContainers = filter(map(tenantList, t => t.stagingContainer), c => !empty(c))
var tenantContainers = union(flatten(map(tenantList, t => t.containers)), tenantStagingContainers, [ledgerContainerName])
var adlsContainers = singleTeam ? singleTeamContainers : tenantContainers

// Event Grid subscriptions and the containers each watches: one for a single team (the name it
// always had), one per tenant otherwise, so that each stays within Event Grid's filter values.
var singleTeamWatch = [
  {
    name: 'spark-dispatch-storage-events'
    containers: watchedContainers
  }
]
var tenantWatches = map(tenantList, t => {
  name: 'spark-dispatch-storage-events-${t.name}'
  containers: t.containers
})
var storageEventWatches = singleTeam ? singleTeamWatch : tenantWatches

var deploymentContainerName = 'app-package'
var deadLetterContainerName = 'eventgrid-deadletter'

// Built-in role definitions: the only roles this template assigns.
var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  serviceBusDataReceiver: '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0'
  serviceBusDataSender: '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}

// The storage APIs whose events the storageEvents function acts on (EVENT_GRID_APIS in
// src/domain/intake/storageEvent.ts): the BlobCreated APIs that carry a file's content
// (CONTENT_APIS: SftpCommit for SFTP uploads; CopyBlob, whose copy the function checks) and the
// APIs of BlobRenamed, RenameFile (Spark and Hadoop commit by rename) and SftpRename. CreateFile
// and SftpCreate (empty files, the content follows) and the rest never reach the function.
var storageEventApis = [
  'FlushWithClose'
  'PutBlob'
  'PutBlockList'
  'SftpCommit'
  'CopyBlob'
  'RenameFile'
  'SftpRename'
]

// ---------------------------------------------------------------------------------------------
// Storage: the data lake, and the Functions host's own account
// ---------------------------------------------------------------------------------------------

resource adls 'Microsoft.Storage/storageAccounts@2024-01-01' = {
  name: adlsAccountName
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    isHnsEnabled: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowCrossTenantReplication: false
    accessTier: 'Hot'
  }
}

resource adlsBlobService 'Microsoft.Storage/storageAccounts/blobServices@2024-01-01' = {
  parent: adls
  name: 'default'
}

resource adlsContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2024-01-01' = [for name in adlsContainers: {
  parent: adlsBlobService
  name: name
  properties: {
    publicAccess: 'None'
  }
}]

resource hostStorage 'Microsoft.Storage/storageAccounts@2024-01-01' = {
  name: hostStorageAccountName
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    isHnsEnabled: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowCrossTenantReplication: false
    accessTier: 'Hot'
  }
}

resource hostBlobService 'Microsoft.Storage/storageAccounts/blobServices@2024-01-01' = {
  parent: hostStorage
  name: 'default'
}

// Flex Consumption reads the app's zip package from here, with the app's identity.
resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2024-01-01' = {
  parent: hostBlobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

// Events Event Grid could not deliver. On the host account, not the lake: a dead-lettered
// event written into the lake would itself be a BlobCreated event.
resource deadLetterContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2024-01-01' = {
  parent: hostBlobService
  name: deadLetterContainerName
  properties: {
    publicAccess: 'None'
  }
}

// ---------------------------------------------------------------------------------------------
// Service Bus: the job queues and the lifecycle events topic
// ---------------------------------------------------------------------------------------------

resource serviceBus 'Microsoft.ServiceBus/namespaces@2024-01-01' = {
  name: serviceBusNamespaceName
  location: location
  tags: tags
  sku: {
    name: 'Standard'
    tier: 'Standard'
  }
  properties: {
    disableLocalAuth: true
    minimumTlsVersion: '1.2'
  }
}

// One queue per tenant (or the one queue of a single team), each with the same properties.
// Duplicate detection (on messageId) lets the dispatcher schedule deferred copies with
// deterministic ids without ever scheduling one twice. A 5-minute lock covers a launch (seconds);
// the lock is released when the driver is launched, not when the job ends.
resource jobQueues 'Microsoft.ServiceBus/namespaces/queues@2024-01-01' = [for name in jobQueueNames: {
  parent: serviceBus
  name: name
  properties: {
    lockDuration: 'PT5M'
    maxDeliveryCount: maxDeliveryCount
    requiresDuplicateDetection: true
    duplicateDetectionHistoryTimeWindow: 'PT10M'
    deadLetteringOnMessageExpiration: true
    defaultMessageTimeToLive: 'P14D'
    requiresSession: false
    enablePartitioning: false
  }
}]

resource eventsTopic 'Microsoft.ServiceBus/namespaces/topics@2024-01-01' = {
  parent: serviceBus
  name: eventsTopicName
  properties: {
    requiresDuplicateDetection: true
    duplicateDetectionHistoryTimeWindow: 'PT10M'
    defaultMessageTimeToLive: 'P14D'
    enablePartitioning: false
  }
}

// Every lifecycle event, for consumers that want them all (the platform team); nobody gets to read
// it from this template.
resource eventsAll 'Microsoft.ServiceBus/namespaces/topics/subscriptions@2024-01-01' = {
  parent: eventsTopic
  name: 'all'
  properties: {
    lockDuration: 'PT1M'
    maxDeliveryCount: 10
    deadLetteringOnMessageExpiration: true
    defaultMessageTimeToLive: 'P14D'
  }
}

// Each tenant's lifecycle events: subscription tenant-<name>, which its readers may receive from
// (modules/tenantAccess.bicep). The dispatcher sets the application property `tenant` on each event.
resource tenantEvents 'Microsoft.ServiceBus/namespaces/topics/subscriptions@2024-01-01' = [for t in tenantList: {
  parent: eventsTopic
  name: t.eventsSubscription
  properties: {
    lockDuration: 'PT1M'
    maxDeliveryCount: 10
    deadLetteringOnMessageExpiration: true
    defaultMessageTimeToLive: 'P14D'
  }
}]

// Service Bus gives every new subscription a rule named $Default with a TrueFilter (every message),
// and a subscription receives what any of its rules matches: another rule next to it would filter
// nothing. So the filter replaces $Default itself, and the tenant's readers get their role only
// once it has (the module depends on these rules).
resource tenantEventsFilter 'Microsoft.ServiceBus/namespaces/topics/subscriptions/rules@2024-01-01' = [for (t, i) in tenantList: {
  parent: tenantEvents[i]
  name: '$Default'
  properties: {
    filterType: 'SqlFilter'
    sqlFilter: {
      sqlExpression: 'tenant = \'${t.name}\''
    }
  }
}]

// ---------------------------------------------------------------------------------------------
// Monitoring: Log Analytics + workspace-based Application Insights, Entra ID ingestion only
// ---------------------------------------------------------------------------------------------

resource logs 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: '${monitoringName}-logs'
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: logRetentionDays
  }
}

// DisableLocalAuth: telemetry is accepted only with an Entra ID token (the app's identity, with
// Monitoring Metrics Publisher), so the connection string alone is not a credential.
resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: '${monitoringName}-ai'
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logs.id
    DisableLocalAuth: true
  }
}

// ---------------------------------------------------------------------------------------------
// The Function app: Flex Consumption, Node 22, system-assigned identity
// ---------------------------------------------------------------------------------------------

// Every app setting the code reads (test/unit/bicepWiring.test.ts derives that list from the
// code): siteConfig.appSettings of the function app below, written as `name: '…'` / `value: …`
// pairs. Flex Consumption sets the runtime in functionAppConfig: no FUNCTIONS_WORKER_RUNTIME,
// FUNCTIONS_EXTENSION_VERSION or WEBSITE_RUN_FROM_PACKAGE.

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: '${functionAppName}-plan'
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource functionApp 'Microsoft.Web/sites@2024-04-01' = {
  name: functionAppName
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      // The settings refuse top-level intake fields next to tenants: each tenant's staging area is
      // in sparkDispatchSettings (tenants.<name>.intake.staging), so these are the single team's only.
      appSettings: concat([
        // Functions host storage with the app's identity (Storage Blob Data Owner on the host account).
        {
          name: 'AzureWebJobsStorage__accountName'
          value: hostStorage.name
        }
        {
          name: 'AzureWebJobsStorage__credential'
          value: 'managedidentity'
        }
        {
          name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'
          value: appInsights.properties.ConnectionString
        }
        {
          name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING'
          value: 'Authorization=AAD'
        }
        // The jobMessages trigger's connection 'ServiceBusConnection', identity-based; functionsSettings
        // also takes it for the dispatcher's own sender when settings name no namespace.
        {
          name: 'ServiceBusConnection__fullyQualifiedNamespace'
          value: serviceBusFqdn
        }
        // queueName '%SPARK_DISPATCH_JOB_QUEUE%' of the trigger, and settings.serviceBus.jobQueue.
        {
          name: 'SPARK_DISPATCH_JOB_QUEUE'
          value: jobQueueName
        }
        // One trigger per tenant queue (functions/jobMessages.ts); empty: the one trigger on SPARK_DISPATCH_JOB_QUEUE.
        {
          name: 'SPARK_DISPATCH_JOB_QUEUES'
          value: join(map(tenantList, t => t.queueName), ',')
        }
        {
          name: 'SPARK_DISPATCH_SETTINGS'
          value: string(sparkDispatchSettings)
        }
        // SPARK_DISPATCH__<path> settings win over SPARK_DISPATCH_SETTINGS: what this template creates.
        {
          name: 'SPARK_DISPATCH__ledger__account'
          value: adlsAccountName
        }
        {
          name: 'SPARK_DISPATCH__ledger__container'
          value: ledgerContainerName
        }
      ], singleTeam ? [
        {
          name: 'SPARK_DISPATCH__intake__staging__account'
          value: adlsAccountName
        }
        {
          name: 'SPARK_DISPATCH__intake__staging__filesystem'
          value: stagingContainerName
        }
      ] : [], [
        {
          name: 'SPARK_DISPATCH__serviceBus__fullyQualifiedNamespace'
          value: serviceBusFqdn
        }
        {
          name: 'SPARK_DISPATCH__serviceBus__eventsTopic'
          value: eventsTopicName
        }
        {
          name: 'SPARK_DISPATCH__serviceBus__maxDeliveryCount'
          value: string(maxDeliveryCount)
        }
        // Read by functions/sweeper.ts when the timer is registered, and by settings.sweeper.schedule.
        {
          name: 'SPARK_DISPATCH__sweeper__schedule'
          value: sweeperSchedule
        }
      ])
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${hostStorage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'SystemAssignedIdentity'
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      // Node 22: Node 20 is end-of-life. The deploy workflow builds with the same major
      // (.github/workflows/deploy.yml); `az functionapp list-flexconsumption-runtimes -l <region>
      // --runtime node` lists what a region offers.
      runtime: {
        name: 'node'
        version: '22'
      }
    }
  }
  dependsOn: [
    deploymentContainer
  ]
}

// No publishing with basic credentials: deployments authenticate with Entra ID (deploy.yml: OIDC).
resource scmBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: functionApp
  name: 'scm'
  properties: {
    allow: false
  }
}

resource ftpBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: functionApp
  name: 'ftp'
  properties: {
    allow: false
  }
}

// ---------------------------------------------------------------------------------------------
// Role assignments of the Function's identity, and no more
// ---------------------------------------------------------------------------------------------

// Identity-based AzureWebJobsStorage (timer leases, host keys/state) and the Flex deployment
// package: the Functions host needs Storage Blob Data Owner on its own account.
resource hostStorageOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(hostStorage.id, functionApp.id, roles.storageBlobDataOwner)
  scope: hostStorage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner)
    principalId: functionApp.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

// The lake, container by container: the ones this template creates (the job ledger, with
// conditional writes and the log tails the sweeper saves; the staging containers, where inline
// scripts are written; the watched ones, where it reads job.yaml next to an uploaded main.py and
// the properties of the blob an event names). Not the account: no other container of the lake.
// Data plane only; no account keys. (Deployments made before this was per container keep an
// account-wide assignment, which a deployment never removes: delete it by hand.)
resource adlsContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (name, i) in adlsContainers: {
  name: guid(adlsContainer[i].id, functionApp.id, roles.storageBlobDataContributor)
  scope: adlsContainer[i]
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataContributor)
    principalId: functionApp.identity.principalId
    principalType: 'ServicePrincipal'
  }
}]

// The jobMessages triggers receive from every job queue. (The Functions scale controller reads
// the queue length only with Manage rights, i.e. Azure Service Bus Data Owner; without it,
// scaling estimates by peeking. Receiver is the least privilege that works.)
resource queueReceiver 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (name, i) in jobQueueNames: {
  name: guid(jobQueues[i].id, functionApp.id, roles.serviceBusDataReceiver)
  scope: jobQueues[i]
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.serviceBusDataReceiver)
    principalId: functionApp.identity.principalId
    principalType: 'ServicePrincipal'
  }
}]

// Deferred jobs come back as scheduled messages on the queue they came from; storage events that
// cannot launch now are handed to the queue of the tenant that owns the filesystem.
resource queueSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (name, i) in jobQueueNames: {
  name: guid(jobQueues[i].id, functionApp.id, roles.serviceBusDataSender)
  scope: jobQueues[i]
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.serviceBusDataSender)
    principalId: functionApp.identity.principalId
    principalType: 'ServicePrincipal'
  }
}]

// Lifecycle events (launched, rejected, deferred, swept, finished).
resource topicSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(eventsTopic.id, functionApp.id, roles.serviceBusDataSender)
  scope: eventsTopic
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.serviceBusDataSender)
    principalId: functionApp.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

// Telemetry with Entra ID (DisableLocalAuth on the component).
resource telemetryPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, functionApp.id, roles.monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: functionApp.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

// No role on the AKS cluster. The Function reaches its team namespaces as a Kubernetes user (its
// object id, output functionAppPrincipalId) bound to the `spark-dispatch` Role of each namespace
// by a RoleBinding (`spark-dispatch manifests --dispatcher-principal User:<object id>`): no
// Secrets, SparkApplications included. An Azure RBAC for Kubernetes role would add to that Role
// (the built-in Azure Kubernetes Service RBAC Writer reads Secrets and does not cover
// SparkApplications), and assigning it needs rights on the cluster's resource group that the
// deployment identity is not given. Deployments made before keep their RBAC Writer assignments:
// delete them (README, Deploy).

// ---------------------------------------------------------------------------------------------
// Each tenant's identities: its orchestrators send to its queue, its readers receive its events,
// its drivers' identity reads and writes its containers (modules/tenantAccess.bicep)
// ---------------------------------------------------------------------------------------------

module tenantAccess 'modules/tenantAccess.bicep' = [for t in tenantList: {
  name: 'spark-dispatch-tenant-${t.name}'
  params: {
    serviceBusNamespaceName: serviceBus.name
    queueName: t.queueName
    eventsTopicName: eventsTopic.name
    eventsSubscriptionName: t.eventsSubscription
    senderPrincipalIds: t.senderPrincipalIds
    eventReaderPrincipalIds: t.eventReaderPrincipalIds
    adlsAccountName: adls.name
    containers: t.containers
    stagingContainer: t.stagingContainer
    driverIdentityPrincipalId: t.driverIdentityPrincipalId
  }
  dependsOn: [
    jobQueues
    tenantEventsFilter
    adlsContainer
  ]
}]

// ---------------------------------------------------------------------------------------------
// Event Grid: ADLS events to the storageEvents function (the subscriptions: see the outputs)
// ---------------------------------------------------------------------------------------------

resource storageEventsTopic 'Microsoft.EventGrid/systemTopics@2025-02-15' = {
  name: '${adlsAccountName}-events'
  location: location
  tags: tags
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    source: adls.id
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

// The system topic's identity writes undeliverable events to the dead-letter container, and
// only there (no keys: the host account refuses shared-key access).
resource deadLetterWriter 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(deadLetterContainer.id, storageEventsTopic.id, roles.storageBlobDataContributor)
  scope: deadLetterContainer
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataContributor)
    principalId: storageEventsTopic.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

// ---------------------------------------------------------------------------------------------
// Outputs
// ---------------------------------------------------------------------------------------------

output functionAppName string = functionApp.name
output functionAppPrincipalId string = functionApp.identity.principalId
output adlsAccountName string = adls.name
output hostStorageAccountName string = hostStorage.name
output serviceBusNamespaceName string = serviceBus.name
output serviceBusFullyQualifiedNamespace string = serviceBusFqdn
output jobQueueNames array = jobQueueNames
output eventGridSystemTopicName string = storageEventsTopic.name
output eventGridSystemTopicId string = storageEventsTopic.id

// The storage events' webhook: https://<functionAppHostName>/runtime/webhooks/eventgrid?functionName=
// <storageEventsFunctionName>&code=<the eventgrid_extension system key>. The host name as the app
// reports it (defaultHostName), not <name>.azurewebsites.net: apps with a unique default host name
// have another.
output functionAppHostName string = functionApp.properties.defaultHostName
output storageEventsFunctionName string = 'storageEvents'

// The Event Grid subscriptions, as the bodies infra/azure/storage-events.sh PUTs on the system
// topic once the code runs, adding destination.properties.endpointUrl (the webhook, with its key:
// never an output). Why not a resource here: Event Grid validates the endpoint when the subscription
// is created, and the webhook's key exists only once the code is deployed; Microsoft's Flex
// Consumption samples likewise create the topic in Bicep and the subscription after `azd deploy`
// (Azure-Samples/functions-e2e-blob-pdf-to-text, infra/app/eventgrid.bicep and scripts/post-up.sh).
//
// One subscription for the watched containers of a single team, one per tenant (the same function,
// the same filters). `subjectBeginsWith` takes a single prefix, so the containers are an advanced
// filter instead: `subject` StringBeginsWith one prefix per container (with the trailing slash, so
// `jobs` does not match `jobs-archive`). Event Grid allows 25 advanced filter values per
// subscription: 7 APIs + at most 18 containers (watchedContainers and each tenant's containers
// have @maxLength(18)); beyond that, use one subscription per container with subjectBeginsWith. A
// tenant's containers are its own (settings give a filesystem to one tenant only), so no event
// reaches the function twice.
// Schema: the Event Grid schema (the default; `subject` keeps its leading slash). The function
// also accepts CloudEvents 1.0 should this ever change.
// One event per delivery: a failure makes Event Grid redeliver that event alone; the function
// recognises events it already handled either way. Undeliverable events go to the dead-letter
// container, written with the system topic's identity (deadLetterWriter above).
output storageEventSubscriptions array = [for watch in storageEventWatches: {
  name: watch.name
  properties: {
    eventDeliverySchema: 'EventGridSchema'
    destination: {
      endpointType: 'WebHook'
      properties: {
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
      }
    }
    filter: {
      includedEventTypes: [
        'Microsoft.Storage.BlobCreated'
        'Microsoft.Storage.BlobRenamed'
      ]
      advancedFilters: [
        {
          operatorType: 'StringIn'
          key: 'data.api'
          values: storageEventApis
        }
        {
          operatorType: 'StringBeginsWith'
          key: 'subject'
          values: map(watch.containers, name => '/blobServices/default/containers/${name}/')
        }
      ]
    }
    retryPolicy: {
      maxDeliveryAttempts: eventMaxDeliveryAttempts
      eventTimeToLiveInMinutes: eventTimeToLiveMinutes
    }
    deadLetterWithResourceIdentity: {
      identity: {
        type: 'SystemAssigned'
      }
      deadLetterDestination: {
        endpointType: 'StorageBlob'
        properties: {
          resourceId: hostStorage.id
          blobContainerName: deadLetterContainerName
        }
      }
    }
  }
}]
