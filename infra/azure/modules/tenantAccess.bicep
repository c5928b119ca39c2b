// What one tenant's (team's) identities get, and no more. main.bicep deploys one per tenant,
// after the queue, the topic subscription and its filter, and the containers exist.
//
//   orchestrators (senderPrincipalIds)  Azure Service Bus Data Sender    its job queue
//   event readers (eventReaderPrincipalIds)  Azure Service Bus Data Receiver  its topic subscription
//   its drivers' identity               Storage Blob Data Contributor  each of its containers
//                                       Storage Blob Data Reader       its staging container, when apart
//
// The queue a job message arrives on decides its tenant, so a sender here can start jobs as this
// team only: never list an identity under two tenants. Sender and reader principals may be
// managed identities, service principals, groups or users, so no principalType is given (which
// only matters for a principal created seconds before: Entra ID replication).

@description('Service Bus namespace of the job queues and the events topic.')
param serviceBusNamespaceName string

@description('The tenant\'s job queue.')
param queueName string

@description('The lifecycle events topic.')
param eventsTopicName string

@description('The tenant\'s subscription of the events topic (its filter keeps the tenant\'s events only).')
param eventsSubscriptionName string

@description('Object ids allowed to send job messages to the queue.')
param senderPrincipalIds array

@description('Object ids allowed to receive from the events subscription.')
param eventReaderPrincipalIds array

@description('The ADLS account of the containers.')
param adlsAccountName string

@description('The tenant\'s containers: its drivers\' identity reads and writes them.')
param containers array

@description('The tenant\'s staging container when it is not one of containers (empty: it is one of them): its drivers\' identity reads it.')
param stagingContainer string

@description('Principal (object) id of the user-assigned identity the tenant\'s drivers use for storage.')
param driverIdentityPrincipalId string

// Built-in role definitions.
var roles = {
  serviceBusDataSender: '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39'
  serviceBusDataReceiver: '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0'
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  storageBlobDataReader: '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1'
}

// The staging container, when the drivers do not already have it among their containers.
var stagingReadOnly = empty(stagingContainer) || contains(containers, stagingContainer) ? [] : [stagingContainer]

resource serviceBus 'Microsoft.ServiceBus/namespaces@2024-01-01' existing = {
  name: serviceBusNamespaceName
}

resource queue 'Microsoft.ServiceBus/namespaces/queues@2024-01-01' existing = {
  parent: serviceBus
  name: queueName
}

resource eventsTopic 'Microsoft.ServiceBus/namespaces/topics@2024-01-01' existing = {
  parent: serviceBus
  name: eventsTopicName
}

resource eventsSubscription 'Microsoft.ServiceBus/namespaces/topics/subscriptions@2024-01-01' existing = {
  parent: eventsTopic
  name: eventsSubscriptionName
}

resource adls 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: adlsAccountName
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2024-01-01' existing = {
  parent: adls
  name: 'default'
}

resource teamContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2024-01-01' existing = [for name in containers: {
  parent: blobService
  name: name
}]

resource stagingOnlyContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2024-01-01' existing = [for name in stagingReadOnly: {
  parent: blobService
  name: name
}]

// Send to this queue only: not to another tenant's, not to the topic.
resource queueSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for principalId in senderPrincipalIds: {
  name: guid(queue.id, principalId, roles.serviceBusDataSender)
  scope: queue
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.serviceBusDataSender)
    principalId: principalId
  }
}]

// Receive from this subscription only: the topic's other subscriptions hold other tenants' events.
resource eventsReceiver 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for principalId in eventReaderPrincipalIds: {
  name: guid(eventsSubscription.id, principalId, roles.serviceBusDataReceiver)
  scope: eventsSubscription
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.serviceBusDataReceiver)
    principalId: principalId
  }
}]

// The drivers read their scripts and data and write their output in the tenant's containers, and
// nowhere else on the lake (not the ledger, not another team's filesystems).
resource driverContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (name, i) in containers: {
  name: guid(teamContainer[i].id, driverIdentityPrincipalId, roles.storageBlobDataContributor)
  scope: teamContainer[i]
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataContributor)
    principalId: driverIdentityPrincipalId
    principalType: 'ServicePrincipal'
  }
}]

// Inline scripts are staged by the Function and only read by the drivers.
resource driverStagingReader 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (name, i) in stagingReadOnly: {
  name: guid(stagingOnlyContainer[i].id, driverIdentityPrincipalId, roles.storageBlobDataReader)
  scope: stagingOnlyContainer[i]
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataReader)
    principalId: driverIdentityPrincipalId
    principalType: 'ServicePrincipal'
  }
}]
