// Sample specs the fake workspace starts with (mirrors of the Go templates).

export const BLANK_TEMPLATE = `openapi: 3.1.0
info:
  title: New API
  version: 0.1.0
  description: |
    Describe what this API is for. This text supports **Markdown**.
servers:
  - url: /api
paths:
  /health:
    get:
      operationId: getHealth
      summary: Tells whether the service is up
      responses:
        "200":
          description: The service is up.
          content:
            application/json:
              schema:
                type: object
                required: [status]
                properties:
                  status:
                    type: string
                    enum: [ok]
`;

export const PETSTORE_TEMPLATE = `openapi: "3.0.0"
info:
  version: 1.0.0
  title: Swagger Petstore
  description: |
    A sample API that uses a petstore as an example to demonstrate features
    in the OpenAPI 3.0 specification.

    - List, add, fetch and delete **pets**
    - Errors follow one \`Error\` schema
  contact:
    name: Swagger API Team
    email: apiteam@swagger.io
    url: http://swagger.io
  license:
    name: Apache 2.0
    url: https://www.apache.org/licenses/LICENSE-2.0.html
servers:
  - url: https://petstore.swagger.io/v2
paths:
  /pets:
    get:
      summary: List pets
      description: |
        Returns all pets from the system that the user has access to.
      operationId: findPets
      parameters:
        - name: tags
          in: query
          description: tags to filter by
          required: false
          style: form
          schema:
            type: array
            items:
              type: string
        - name: limit
          in: query
          description: maximum number of results to return
          required: false
          schema:
            type: integer
            format: int32
      responses:
        '200':
          description: pet response
          content:
            application/json:
              schema:
                type: array
                items:
                  $ref: '#/components/schemas/Pet'
        default:
          description: unexpected error
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/Error'
    post:
      summary: Add a pet
      description: Creates a new pet in the store. Duplicates are allowed.
      operationId: addPet
      requestBody:
        description: Pet to add to the store
        required: true
        content:
          application/json:
            schema:
              $ref: '#/components/schemas/NewPet'
      responses:
        '200':
          description: pet response
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/Pet'
        default:
          description: unexpected error
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/Error'
  /pets/{id}:
    get:
      summary: Find a pet
      description: Returns a pet based on a single ID.
      operationId: findPetById
      parameters:
        - name: id
          in: path
          description: ID of pet to fetch
          required: true
          schema:
            type: integer
            format: int64
      responses:
        '200':
          description: pet response
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/Pet'
        default:
          description: unexpected error
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/Error'
    delete:
      summary: Delete a pet
      description: Deletes a single pet based on the ID supplied.
      operationId: deletePet
      parameters:
        - name: id
          in: path
          description: ID of pet to delete
          required: true
          schema:
            type: integer
            format: int64
      responses:
        '204':
          description: pet deleted
        default:
          description: unexpected error
          content:
            application/json:
              schema:
                $ref: '#/components/schemas/Error'
components:
  schemas:
    Pet:
      allOf:
        - $ref: '#/components/schemas/NewPet'
        - type: object
          required:
          - id
          properties:
            id:
              type: integer
              format: int64
    NewPet:
      type: object
      required:
        - name
      properties:
        name:
          type: string
        tag:
          type: string
    Error:
      type: object
      required:
        - code
        - message
      properties:
        code:
          type: integer
          format: int32
        message:
          type: string
`;

export const BILLING_JSON = `{
  "openapi": "3.1.0",
  "info": {
    "title": "Billing",
    "version": "2.3.0",
    "description": "Invoices and payments. Amounts are in **minor units** (cents)."
  },
  "paths": {
    "/invoices": {
      "get": {
        "operationId": "listInvoices",
        "summary": "List invoices",
        "responses": { "200": { "description": "A page of invoices" } }
      },
      "post": {
        "summary": "Create an invoice",
        "responses": { "201": { "description": "Created" } }
      }
    },
    "/invoices/{id}": {
      "get": {
        "operationId": "getInvoice",
        "summary": "Fetch one invoice",
        "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "string" } }],
        "responses": { "200": { "description": "The invoice" }, "404": { "description": "No such invoice" } }
      }
    },
    "/payments/": {
      "post": {
        "operationId": "createPayment",
        "summary": "Pay an invoice",
        "responses": { "202": { "description": "Accepted" } }
      }
    }
  }
}
`;
