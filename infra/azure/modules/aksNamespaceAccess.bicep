// Namespace-scoped access for the Function's identity on an existing AKS cluster that uses
// Entra ID with Azure RBAC for Kubernetes (kubernetes.auth.mode aks-entra in the settings).
//
// Role: Azure Kubernetes Service RBAC Writer, assigned at namespace scope
// (<cluster id>/namespaces/<name>), one assignment per team namespace, never at cluster scope.
// Writer is Kubernetes' `edit`: enough for what the dispatcher does (create/get/list/delete pods,
// pods/log, configmaps, services) but it also reads Secrets and manages most workload objects
// in the namespace, and it does not cover CRDs such as SparkApplication (operator backend).
// For the tightest grant, skip this module (leave aksClusterName empty) and bind the README's
// `spark-dispatch` Role to the Function's object id with a Kubernetes RoleBinding instead.
// The Function needs no AKS control-plane role: it calls the API server with an Entra ID token
// for the AKS server application, not through listClusterUserCredential.

@description('Name of the AKS cluster, in this module\'s resource group.')
param aksClusterName string

@description('Team namespaces to grant access to.')
param namespaces array

@description('Object id of the Function app\'s system-assigned identity.')
param principalId string

// Azure Kubernetes Service RBAC Writer (built-in).
var aksRbacWriter = 'a7ffa36f-339b-4b5c-8bdf-e2c188b2c0eb'

resource aks 'Microsoft.ContainerService/managedClusters@2024-09-01' existing = {
  name: aksClusterName
}

// The namespace scope of Azure RBAC for Kubernetes is a path under the cluster, not a resource
// Bicep has a type for; an `existing` reference only builds its id (no GET).
#disable-next-line BCP081
resource teamNamespace 'Microsoft.ContainerService/managedClusters/namespaces@2024-09-01' existing = [for name in namespaces: {
  parent: aks
  name: name
}]

resource namespaceWriter 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (name, i) in namespaces: {
  name: guid(aks.id, name, principalId, aksRbacWriter)
  scope: teamNamespace[i]
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', aksRbacWriter)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}]
