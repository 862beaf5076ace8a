// Package model holds the plain types Gantry stores: APIs, their spec revisions,
// environments and captured exchanges.
package model

import (
	"net/http"
	"time"
)

// API is a named API in a workspace. Its content lives in its SpecRevisions.
type API struct {
	// ID is the store-assigned identifier; 0 means not stored yet.
	ID int64 `json:"id"`
	// Name is the unique, slug-like name used on the command line.
	Name string `json:"name"`
	// CreatedAt is when the API was first imported.
	CreatedAt time.Time `json:"createdAt"`
	// UpdatedAt is when its newest revision was added.
	UpdatedAt time.Time `json:"updatedAt"`
	// LinkedPath is the absolute path of the spec file on disk the API follows; "" means
	// the API is not linked to a file.
	LinkedPath string `json:"linkedPath,omitempty"`
}

// APISummary is one row of an API listing: the API and facts about its newest revision.
type APISummary struct {
	API
	// Title is info.title of the newest revision.
	Title string `json:"title"`
	// Version is info.version of the newest revision.
	Version string `json:"version"`
	// Operations is the newest revision's operation count.
	Operations int `json:"operations"`
	// Revisions is how many revisions the API has.
	Revisions int `json:"revisions"`
	// LatestRevision is the ID of the newest revision.
	LatestRevision int64 `json:"latestRevision"`
}

// SpecRevision is one immutable version of an API's description: every file it was
// loaded from, plus its compiled form.
type SpecRevision struct {
	// ID is the store-assigned identifier; 0 means not stored yet.
	ID int64 `json:"id"`
	// APIID is the owning API.
	APIID int64 `json:"apiId"`
	// Hash is the content address: hex SHA-256 over apidef.FormatVersion, the root name and every file's path and content.
	Hash string `json:"hash"`
	// SourcePath is the absolute path of the root document it was imported from ("" if none).
	SourcePath string `json:"sourcePath"`
	// Root is the root document's path within Files.
	Root string `json:"root"`
	// Files holds every file of the spec, paths relative to the root document's folder.
	Files []SpecFile `json:"files,omitempty"`
	// Title, Version and SpecVersion are copied from the document for listings.
	Title       string `json:"title"`
	Version     string `json:"version"`
	SpecVersion string `json:"specVersion"`
	// Operations is the operation count.
	Operations int `json:"operations"`
	// Compiled is the JSON form of the revision's apidef.Definition.
	Compiled []byte `json:"-"`
	// CreatedAt is when the revision was stored.
	CreatedAt time.Time `json:"createdAt"`
}

// SpecFile is one file of a spec revision.
type SpecFile struct {
	// Path is relative to the root document's folder, with forward slashes.
	Path string `json:"path"`
	// Content is the file's bytes.
	Content []byte `json:"-"`
}

// Environment is a named set of variables (baseUrl, token, ...) kept per workspace.
type Environment struct {
	// ID is the store-assigned identifier; 0 means not stored yet.
	ID int64 `json:"id"`
	// Name is unique within the workspace.
	Name string `json:"name"`
	// Variables maps variable names to values; nil means none.
	Variables map[string]string `json:"variables"`
	// UpdatedAt is when the environment last changed.
	UpdatedAt time.Time `json:"updatedAt"`
}

// Exchange is one captured request and its response.
type Exchange struct {
	// ID is a time-ordered unique identifier assigned at capture.
	ID string `json:"id"`
	// StartedAt is when the request arrived.
	StartedAt time.Time `json:"startedAt"`
	// Duration is the time from arrival to the last response byte.
	Duration time.Duration `json:"duration"`
	// API is the name of the API that served it ("" if none matched).
	API string `json:"api,omitempty"`
	// Operation is the matched operation's ID ("" if none matched).
	Operation string `json:"operation,omitempty"`
	// Mode is how it was answered: "mock", "proxy" or "" for gateway errors.
	Mode string `json:"mode,omitempty"`
	// ClientAddr is the client's address.
	ClientAddr string `json:"clientAddr,omitempty"`
	// Consumer is the consumer an authentication policy identified ("" if none).
	Consumer string `json:"consumer,omitempty"`
	// Scheme is "http" or "https" as the client spoke to the gateway ("" means http).
	Scheme string `json:"scheme,omitempty"`
	// Method, URL, Proto are the request line; URL is as the client sent it (path and query).
	Method string `json:"method"`
	URL    string `json:"url"`
	Host   string `json:"host,omitempty"`
	Proto  string `json:"proto,omitempty"`
	// RequestHeaders are the request's headers (secrets redacted unless opted in).
	RequestHeaders http.Header `json:"requestHeaders,omitempty"`
	// RequestBody holds up to the configured cap of the request body.
	RequestBody []byte `json:"requestBody,omitempty"`
	// RequestSize is the full request body size in bytes.
	RequestSize int64 `json:"requestSize"`
	// Status is the response status code.
	Status int `json:"status"`
	// ResponseHeaders are the response's headers.
	ResponseHeaders http.Header `json:"responseHeaders,omitempty"`
	// ResponseBody holds up to the configured cap of the response body.
	ResponseBody []byte `json:"responseBody,omitempty"`
	// ResponseSize is the full response body size in bytes.
	ResponseSize int64 `json:"responseSize"`
	// Violations lists request validation problems; empty means the request was valid.
	Violations []Violation `json:"violations,omitempty"`
	// Warnings lists notes from the gateway, such as an invalid example that was not served.
	Warnings []string `json:"warnings,omitempty"`
}

// Violation is one validation problem of a request or response.
type Violation struct {
	// In is where: "path", "query", "header", "cookie", "body", "security", or "status" (a
	// response whose status the operation does not declare).
	In string `json:"in"`
	// Name is the parameter name or body JSON pointer ("" for the whole body).
	Name string `json:"name,omitempty"`
	// Message says what was wrong.
	Message string `json:"message"`
}
