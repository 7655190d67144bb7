module github.com/${{ values.destination.owner }}/${{ values.name }}

go 1.22
